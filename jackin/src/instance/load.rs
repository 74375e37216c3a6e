//! `jackin load`: create and start an instance, provision every agent of
//! the role, then attach the chosen agent to the terminal
//! (`shared/SPEC.md` §7–§9).

use super::handoff::SocketHandoff;
use super::image_user::image_user;
use super::init_bin::{self, CONTAINER_PATH};
use super::leftovers::{self, Leftover};
use super::provision::{deliver, plan_in_home, refused, AgentReport};
use super::target::{self, Target};
use super::{labels, Instance, Store};
use crate::config::{Config, EngineKind};
use crate::engine::{self, Bind, ContainerSpec, Engine, VolumeMount};
use crate::env::HostEnv;
use anyhow::{bail, Result};
use std::path::Path;

/// Options of `jackin load`.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    pub role: Option<String>,
    pub target: Option<String>,
    pub agent: Option<String>,
    pub detach: bool,
    pub new_instance: bool,
    pub engine: Option<EngineKind>,
    pub host: Option<String>,
    /// Network for the container (`none` for no network); engine default when `None`.
    pub network: Option<String>,
    pub debug: bool,
    /// Rebuild the default role image before launching.
    pub rebuild: bool,
    /// How the bundle reaches the container (the CLI reads
    /// `JACKIN_HANDOFF`, see [`super::handoff::mode_from_env`]).
    pub handoff: super::handoff::Mode,
}

/// What a successful load reports (`--json`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Loaded {
    pub id: String,
    pub container: String,
    pub role: String,
    pub workspace: String,
    pub agent: String,
    pub engine: String,
    pub summary: String,
    pub notes: Vec<String>,
    pub report: Vec<AgentReport>,
    /// Attached loads only: the exit code of the agent when it ended during
    /// the session (`None`: detached, or still running after the session).
    #[serde(skip)]
    pub exit_code: Option<i64>,
}

/// Runs `jackin load`. Validation (SPEC §6) happens before the engine is
/// contacted; after that, a failure removes what this load created, so no
/// half-made instance stays in the index.
///
/// Without `opts.detach` this also runs the attached session: `say` gets
/// the auth summary and notes first, then the terminal is attached to the
/// container *before* it starts (so the agent's first output is not lost),
/// and `load` returns when the session ends. With `opts.detach`, `say` is
/// not called (the caller prints what it wants from [`Loaded`]).
pub async fn load(
    mut cfg: Config,
    opts: &LoadOptions,
    host_env: &HostEnv,
    cwd: &Path,
    say: &(dyn Fn(&str) + Send + Sync),
) -> Result<Loaded> {
    let t0 = std::time::Instant::now();
    target::with_builtin_roles(&mut cfg);
    let target = target::resolve_target(&cfg, opts.target.as_deref(), cwd)?;
    target::check_mounts(&target)?;
    let role_name = target::resolve_role(&cfg, opts.role.as_deref(), &target)?;
    let role = cfg.roles[&role_name].clone();
    let agent = target::resolve_agent(&role_name, &role, opts.agent.as_deref())?;
    // Validation before the engine is contacted. Where an agent folder is
    // relocated, the final plan needs the image user's home (below); an
    // absolute relocation path can only be checked then.
    let early = match plan_in_home(&cfg, &target, &role_name, host_env, None) {
        Ok(p) => Some(p),
        Err(crate::plan::LaunchError::ContainerPath { .. }) => None,
        Err(e) => return Err(refused(e)),
    };
    let init = init_bin::locate()?;
    let handoff_mode = opts.handoff;
    let t = phase("resolve", t0);

    let engine = engine::connect(opts.engine.or(cfg.engine), opts.host.as_deref()).await?;
    let engine = engine.as_ref();
    let t = phase("connect", t);
    let is_default_image = role.image == target::DEFAULT_IMAGE;
    let mut image = engine.image_inspect(&role.image).await?;
    if is_default_image && (opts.rebuild || image.is_none()) {
        let (kind, rebuild) = (engine.kind(), opts.rebuild);
        tokio::task::spawn_blocking(move || super::image_build::build_default_image(kind, rebuild))
            .await??;
        image = engine.image_inspect(&role.image).await?;
    } else if opts.rebuild {
        bail!(
            "--rebuild only applies to the default role image {}; role '{role_name}' uses '{}': rebuild it with your own tooling",
            target::DEFAULT_IMAGE,
            role.image
        );
    }
    let image = image.ok_or_else(|| missing_image(engine, &role.image, &role_name))?;
    let t = phase("image inspect", t);
    let store = Store::open_default()?;
    leftovers::sweep(engine, &store).await?;
    let user = image_user(
        engine,
        &role.image,
        &image.id,
        image.user.as_deref(),
        &store,
    )
    .await?;
    let t = phase("image user", t);
    let plan = match early {
        Some(p) if !p.uses_relocation() => p,
        _ => {
            plan_in_home(&cfg, &target, &role_name, host_env, Some(&user.home)).map_err(refused)?
        }
    };
    if opts.debug {
        for line in plan.env_debug() {
            tracing::debug!("{line}");
        }
    }

    let (inst, fresh) = store.assign(
        &target.key(),
        &role_name,
        engine.kind().as_str(),
        opts.new_instance,
    )?;
    let t = phase("index", t);
    let mut made = false;
    let result = start_instance(
        engine,
        &inst,
        &target,
        &role_name,
        &role.image,
        &role.agents,
        agent,
        &init,
        &user,
        opts,
        &plan,
        (handoff_mode, store.dir()),
        say,
        &mut made,
    )
    .await;
    phase("instance (total)", t);
    tracing::debug!(
        "timing: load total {:.1} ms",
        t0.elapsed().as_secs_f64() * 1000.0
    );
    match result {
        Ok((report, exit_code)) => Ok(Loaded {
            id: inst.id.clone(),
            container: inst.container_name(),
            role: role_name,
            workspace: target.key(),
            agent: agent.name.to_string(),
            engine: engine.kind().as_str().to_string(),
            summary: plan.summary(),
            notes: plan.notes(),
            report,
            exit_code,
        }),
        Err(e) => {
            // Undo only what is ours. When this load made no container, a
            // concurrent load of the same instance may own one by now: then
            // its home and index entry stay. An engine that cannot be
            // asked (its socket went away) cannot be starting one for
            // anybody either: then clean up, recording what the engine
            // could not remove.
            let taken = !made
                && engine
                    .list_containers(&[(super::LABEL_INSTANCE, Some(inst.id.as_str()))])
                    .await
                    .is_ok_and(|cs| !cs.is_empty());
            if taken {
                return Err(e);
            }
            // Remove the container (by name, also when the create's answer
            // was lost) and a fresh instance's volume and index entry. What
            // the engine cannot remove now (its socket went away) is
            // recorded and removed by the next command.
            if fresh {
                let _ = store.remove(&inst.id);
            }
            let left = Leftover {
                engine: engine.kind().as_str().to_string(),
                container: made.then(|| inst.container_name()),
                volume: fresh.then(|| inst.volume_name()),
            };
            match leftovers::remove_or_record(engine, &store, left).await {
                None => Err(e),
                Some(note) => Err(anyhow::anyhow!("{e:#}\n{note}")),
            }
        }
    }
}

fn missing_image(engine: &dyn Engine, image: &str, role: &str) -> anyhow::Error {
    let hint = if image == target::DEFAULT_IMAGE {
        format!(
            "build it with 'bash scripts/build-image.sh --engine {}'",
            engine.kind().as_str()
        )
    } else {
        format!(
            "build or import it into {} (e.g. '{} build -t {image} …'), or point role '{role}' at another image: edit `image` under [roles.{role}] in config.toml ('jackin config path'), or 'jackin role remove {role}' and add it again",
            engine.kind().as_str(),
            engine.kind().as_str()
        )
    };
    anyhow::anyhow!(
        "image '{image}' of role '{role}' is not in {} at {}: {hint}",
        engine.kind().as_str(),
        engine.socket()
    )
}

#[allow(clippy::too_many_arguments)]
async fn start_instance(
    engine: &dyn Engine,
    inst: &Instance,
    target: &Target,
    role_name: &str,
    image: &str,
    role_agents: &[String],
    agent: &crate::agents::AgentSpec,
    init: &Path,
    user: &jackin_init::passwd::TargetUser,
    opts: &LoadOptions,
    plan: &crate::plan::LaunchPlan,
    (handoff_mode, data_dir): (super::handoff::Mode, &Path),
    say: &(dyn Fn(&str) + Send + Sync),
    made: &mut bool,
) -> Result<(Vec<AgentReport>, Option<i64>)> {
    let t = std::time::Instant::now();
    let name = inst.container_name();
    if let Some(existing) = engine.inspect_container(&name).await? {
        if existing.running && !opts.new_instance {
            bail!(
                "instance {} (role '{role_name}', {}) is already running as container {name}: \
                 attach with '{}', or start a second one with 'jackin load --new-instance'",
                inst.id,
                target.key(),
                super::hardline_command(&inst.id, engine.kind().as_str())
            );
        }
        // Created but never started: another `jackin load` of this
        // instance is starting it right now (or one died half-way); never
        // pull it from under a running load.
        if existing.state == "created" {
            bail!(
                "instance {} (role '{role_name}', {}) is being started by another 'jackin load' \
                 (container {name} exists but has not started): attach with '{}' \
                 once it runs, or remove a leftover with 'jackin eject {}'",
                inst.id,
                target.key(),
                super::hardline_command(&inst.id, engine.kind().as_str()),
                inst.id
            );
        }
        engine.remove_container(&existing.id, true).await?;
    }
    let lbls = labels(inst, role_agents);
    engine.volume_create(&inst.volume_name(), &lbls).await?;
    let mut binds = vec![Bind {
        src: init.display().to_string(),
        dst: CONTAINER_PATH.to_string(),
        readonly: true,
    }];
    binds.extend(target.mounts.iter().map(|m| Bind {
        src: m.src.display().to_string(),
        dst: m.dst.display().to_string(),
        readonly: m.readonly,
    }));
    let mut handoff = SocketHandoff::prepare(handoff_mode, data_dir, &inst.id);
    binds.extend(handoff.as_ref().map(SocketHandoff::bind));
    let mut entrypoint = vec![
        CONTAINER_PATH.to_string(),
        "run".into(),
        "--agent".into(),
        agent.name.into(),
    ];
    if handoff.is_some() {
        entrypoint.extend(SocketHandoff::run_args());
    }
    entrypoint.push("--".into());
    entrypoint.extend(agent.launch.iter().map(|s| s.to_string()));
    let spec = ContainerSpec {
        name: name.clone(),
        image: image.to_string(),
        entrypoint,
        cmd: vec![],
        user: Some("0".into()),
        env: vec![("JACKIN_INSTANCE".into(), inst.id.clone())],
        labels: lbls,
        binds,
        volumes: vec![VolumeMount {
            name: inst.volume_name(),
            dst: user.home.clone(),
        }],
        tmpfs: vec![("/run/jackin".into(), "mode=0700".into())],
        workdir: Some(target.workdir.display().to_string()),
        tty: true,
        init: true,
        network: opts.network.clone(),
    };
    let t = phase("inspect + volume", t);
    // From here on a container may exist (even if the create's answer is
    // lost): the caller removes it by name on failure.
    *made = true;
    let id = match engine.create_container(&spec).await {
        Ok(id) => id,
        // Another `jackin load` of the same instance won the race for the name.
        // (Docker may answer the name conflict before the other container
        // can be inspected; both engines say "already in use".)
        Err(e) => match engine.inspect_container(&name).await {
            Ok(found) if found.is_some() || e.to_string().contains("already in use") => {
                // Not ours: the other load's container must stay.
                *made = false;
                bail!(
                "instance {} (role '{role_name}', {}) was just started by another 'jackin load' \
                 as container {name}: attach with '{}', or start a second one \
                 with 'jackin load --new-instance'",
                    inst.id,
                    target.key(),
                    super::hardline_command(&inst.id, engine.kind().as_str())
                )
            }
            _ => return Err(e.into()),
        },
    };
    let t = phase("create", t);
    if let Some(h) = handoff.as_mut() {
        h.listen();
    }
    let report = std::sync::Mutex::new(None);
    let start_and_deliver = async {
        engine.start_container(&id).await?;
        let t = phase("start", t);
        let r = match handoff {
            Some(h) => h.deliver(engine, &id, plan, &user.name).await?,
            None => deliver(engine, &id, plan, &user.name).await?,
        };
        phase("deliver (handoff + apply)", t);
        *report.lock().expect("report lock") = Some(r);
        anyhow::Ok(())
    };
    let result = if opts.detach {
        start_and_deliver.await
    } else {
        say(&plan.summary());
        for n in plan.notes() {
            say(&format!("note: {n}"));
        }
        // Attach first: output printed right after the handoff waits in
        // the attach stream instead of being lost.
        engine.attach_after(&id, Box::pin(start_and_deliver)).await
    };
    let delivered = report.into_inner().expect("report lock");
    if delivered.is_some() {
        // Handed over: the instance is complete, whatever the session does.
        *made = false;
    }
    match (result, delivered) {
        (Ok(()), Some(r)) if opts.detach => Ok((r, None)),
        (Ok(()), Some(r)) => {
            // The session ended: if the agent did, its exit code is the load's.
            // The attach stream can end a moment before the engine marks
            // the container exited (an agent that fails at once): look
            // again for up to 2 s before taking it as still running.
            let mut running = true;
            for _ in 0..20 {
                running = engine
                    .inspect_container(&id)
                    .await?
                    .is_some_and(|c| c.running);
                if !running {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            let code = if running {
                None
            } else {
                Some(engine.wait_container(&id).await?)
            };
            Ok((r, code))
        }
        (Ok(()), None) => bail!("internal: the bundle was not delivered"),
        // The session failed after a good handoff: the instance is fine.
        (Err(e), Some(_)) => Err(e),
        // The caller removes the half-made container (`made`).
        (Err(e), None) => Err(match engine.inspect_container(&id).await {
            Ok(Some(c)) if !c.running => e.context(format!(
                "container {name} stopped during the handoff (state '{}'); nothing was provisioned: \
                 check the image and run 'jackin load' again",
                c.state
            )),
            _ => e,
        }),
    }
}

/// Logs, at debug level (`--debug`), how long the launch phase `name` took
/// since `since` (`timing: create 41.2 ms`), and returns the current instant
/// for the next phase. Used by `bench/launch.sh` to show where time goes.
pub(crate) fn phase(name: &str, since: std::time::Instant) -> std::time::Instant {
    let now = std::time::Instant::now();
    tracing::debug!(
        "timing: {name} {:.1} ms",
        (now - since).as_secs_f64() * 1000.0
    );
    now
}
