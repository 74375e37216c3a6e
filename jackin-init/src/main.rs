fn main() {
    eprintln!("jackin-init: not implemented yet");
    std::process::exit(1);
}
