//! The `jackin` binary: parse the command line, set up tracing, run the
//! command, and map failures to exit codes (0 ok, 1 failure, 2 usage).

use clap::Parser;
use std::process::ExitCode;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = jackin::cli::Cli::parse();
    jackin::cli::init_tracing(cli.debug);
    match cli.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            e.report();
            ExitCode::from(e.code)
        }
    }
}
