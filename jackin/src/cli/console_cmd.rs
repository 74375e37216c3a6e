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

/// Runs the console on the configured config.toml, with the instances of
/// the engine when one answers within two seconds ("engine: not connected"
/// otherwise: the console works without an engine).
pub fn run(_args: ConsoleArgs, ctx: &Ctx) -> Result<(), CliError> {
    let engine_kind = crate::config::load_from(&ctx.config_path)
        .ok()
        .and_then(|(cfg, _)| cfg.engine);
    console::run(&ctx.config_path, instances(engine_kind)).map_err(|e| {
        match e.downcast::<crate::config::ConfigError>() {
            Ok(ce) => CliError::from(ce),
            Err(e) => CliError::failure(e.to_string()),
        }
    })
}

/// The engine's jackin instances, or `None` when no engine answers in time.
fn instances(kind: Option<crate::config::EngineKind>) -> Option<Vec<console::Instance>> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()?;
    rt.block_on(async {
        let fut = async {
            let engine = crate::engine::connect(kind, None).await.ok()?;
            let store = crate::instance::Store::open_default().ok()?;
            let found = crate::instance::select::all(engine.as_ref(), &store)
                .await
                .ok()?;
            Some(
                found
                    .iter()
                    .map(|f| console::Instance {
                        workspace: f.instance.workspace.clone(),
                        id: f.instance.id.clone(),
                        role: f.instance.role.clone(),
                        state: f.state(),
                    })
                    .collect(),
            )
        };
        tokio::time::timeout(std::time::Duration::from_secs(2), fut)
            .await
            .ok()
            .flatten()
    })
}
