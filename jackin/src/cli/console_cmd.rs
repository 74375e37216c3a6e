//! `jackin console`: opens the terminal UI ([`crate::console`]).

use super::{CliError, Ctx};
use crate::console;
use clap::Args;

/// The key list of `jackin console --help`, from the same table as `?`.
fn keys_help() -> String {
    let mut s = String::from("Keys:\n");
    for (k, v) in console::ui_overlay::HELP {
        s.push_str(&format!("  {k:<12}{v}\n"));
    }
    s.push_str(
        "\nScreens: the workspace list (Enter opens one), then tabs Auth and Env.\n\
         Auth: per agent the global mode (read-only), the workspace mode and one row\n\
         per role; Enter edits a row (mode, credential for api_key/oauth_token,\n\
         source folder for sync). Changes are staged and written only after `s` and\n\
         a confirmation showing the diff, with the same validation as the CLI.\n\
         Colour is off when NO_COLOR is set. Needs a terminal of at least 60x16.",
    );
    s
}

/// `jackin console`.
#[derive(Debug, Args)]
#[command(after_help = keys_help())]
pub struct ConsoleArgs {}

/// Runs the console on the configured config.toml. The engine's instances
/// are not wired yet ("engine: not connected").
pub fn run(_args: ConsoleArgs, ctx: &Ctx) -> Result<(), CliError> {
    console::run(&ctx.config_path, None).map_err(|e| {
        match e.downcast::<crate::config::ConfigError>() {
            Ok(ce) => CliError::from(ce),
            Err(e) => CliError::failure(e.to_string()),
        }
    })
}
