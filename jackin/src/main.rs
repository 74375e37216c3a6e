fn main() {
    println!("jackin {}", env!("CARGO_PKG_VERSION"));
}
