//! `jackin auth sync`, `jackin ps`, `jackin eject`, `jackin purge`.

use super::engine_args::{block_on, EngineArgs};
use super::{CliError, Ctx};
use crate::instance::{auth_sync::auth_sync, eject, ps, Store};
use clap::{Args, Subcommand};

/// `jackin auth …`
#[derive(Debug, Args)]
pub struct AuthArgs {
    #[command(subcommand)]
    pub command: AuthCommand,
}

/// Auth operations on running instances.
#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// Re-provision a running instance from the host now, without a restart
    /// (new host logins and config changes land immediately).
    Sync(SyncArgs),
}

/// `jackin auth sync SELECTOR`.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Instance id, role name or container name.
    #[arg(value_parser = super::ops::non_empty())]
    pub selector: String,
    /// Act on every match instead of refusing several.
    #[arg(long)]
    pub all: bool,
    /// Print the per-agent report as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub engine: EngineArgs,
}

/// `jackin ps`.
#[derive(Debug, Args)]
pub struct PsArgs {
    /// Print JSON (a list of instances).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub engine: EngineArgs,
}

/// `jackin eject`.
#[derive(Debug, Args)]
pub struct EjectArgs {
    /// Instance id, role name or container name.
    #[arg(value_parser = super::ops::non_empty())]
    pub selector: String,
    /// Act on every match instead of refusing several.
    #[arg(long)]
    pub all: bool,
    /// Also delete the durable home (volume and index entry).
    #[arg(long)]
    pub purge: bool,
    /// Print what was removed as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub engine: EngineArgs,
}

/// `jackin purge`.
#[derive(Debug, Args)]
pub struct PurgeArgs {
    /// Instance id, role name or container name.
    #[arg(value_parser = super::ops::non_empty())]
    pub selector: String,
    /// Act on every match instead of refusing several.
    #[arg(long)]
    pub all: bool,
    /// Print what was removed as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub engine: EngineArgs,
}

/// Runs `jackin auth sync`.
pub fn run_auth(a: AuthArgs, ctx: &Ctx) -> Result<(), CliError> {
    let AuthCommand::Sync(a) = a.command;
    let cfg = crate::config::read()?;
    let kind = a.engine.kind(cfg.engine);
    let host_env = crate::env::host_env_snapshot();
    block_on(async {
        let engine = crate::engine::connect(kind, a.engine.host.as_deref()).await?;
        let store = Store::open_default()?;
        let done = auth_sync(engine.as_ref(), &store, cfg, &a.selector, a.all, &host_env).await?;
        if a.json {
            super::output::println(serde_json::to_string_pretty(&done)?);
        } else {
            for d in &done {
                ctx.say(format!("{}: {}", d.id, d.summary));
                for n in &d.notes {
                    ctx.say(format!("note: {n}"));
                }
            }
        }
        Ok(())
    })
}

/// Runs `jackin ps`.
pub fn run_ps(a: PsArgs, _ctx: &Ctx) -> Result<(), CliError> {
    let cfg = crate::config::read()?;
    let kind = a.engine.kind(cfg.engine);
    block_on(async {
        let engine = crate::engine::connect(kind, a.engine.host.as_deref()).await?;
        let rows = ps::ps(engine.as_ref(), &Store::open_default()?).await?;
        if a.json {
            super::output::println(serde_json::to_string_pretty(&rows)?);
        } else {
            super::output::print(&ps::render(&rows));
        }
        Ok(())
    })
}

/// Runs `jackin eject`.
pub fn run_eject(a: EjectArgs, ctx: &Ctx) -> Result<(), CliError> {
    let cfg = crate::config::read()?;
    let kind = a.engine.kind(cfg.engine);
    block_on(async {
        let engine = crate::engine::connect(kind, a.engine.host.as_deref()).await?;
        let done = eject::eject(
            engine.as_ref(),
            &Store::open_default()?,
            &a.selector,
            a.all,
            a.purge,
        )
        .await?;
        report(ctx, &done, a.json)
    })
}

/// Runs `jackin purge`.
pub fn run_purge(a: PurgeArgs, ctx: &Ctx) -> Result<(), CliError> {
    let cfg = crate::config::read()?;
    let kind = a.engine.kind(cfg.engine);
    block_on(async {
        let engine = crate::engine::connect(kind, a.engine.host.as_deref()).await?;
        let done =
            eject::purge(engine.as_ref(), &Store::open_default()?, &a.selector, a.all).await?;
        report(ctx, &done, a.json)
    })
}

fn report(ctx: &Ctx, done: &[eject::Done], json: bool) -> anyhow::Result<()> {
    if json {
        super::output::println(serde_json::to_string_pretty(done)?);
        return Ok(());
    }
    for d in done {
        let what = match (d.container_removed, d.volume_removed) {
            (true, true) => "container and home volume removed",
            (true, false) => "container removed, home volume kept",
            (false, true) => "home volume and index entry removed",
            (false, false) => "nothing to remove",
        };
        ctx.say(format!("{}: {what}", d.id));
    }
    Ok(())
}
