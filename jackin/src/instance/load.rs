//! `jackin load`: create and start an instance, provision every agent of
//! the role, then attach the chosen agent to the terminal
//! (`shared/SPEC.md` §7–§9).

use super::image_user::image_user;
use super::init_bin::{self, CONTAINER_PATH};
use super::provision::{deliver, plan_for, AgentReport};
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
}

/// Runs `jackin load`. Validation (SPEC §6) happens before the engine is
/// contacted; after that, a failure removes what this load created, so no
/// half-made instance stays in the index.
pub async fn load(
    mut cfg: Config,
    opts: &LoadOptions,
    host_env: &HostEnv,
    cwd: &Path,
) -> Result<Loaded> {
    target::with_builtin_roles(&mut cfg);
    let target = target::resolve_target(&cfg, opts.target.as_deref(), cwd)?;
    target::check_mounts(&target)?;
    let role_name = target::resolve_role(&cfg, opts.role.as_deref(), &target)?;
    let role = cfg.roles[&role_name].clone();
    let agent = target::resolve_agent(&role_name, &role, opts.agent.as_deref())?;
    let plan = plan_for(&cfg, &target, &role_name, host_env)?;
    if opts.debug {
        for line in plan.env_debug() {
            tracing::debug!("{line}");
        }
    }
    let init = init_bin::locate()?;

    let engine = engine::connect(opts.engine.or(cfg.engine), opts.host.as_deref()).await?;
    let engine = engine.as_ref();
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
    let store = Store::open_default()?;
    let user = image_user(
        engine,
        &role.image,
        &image.id,
        image.user.as_deref(),
        store.dir(),
    )
    .await?;

    let (inst, fresh) = store.assign(
        &target.key(),
        &role_name,
        engine.kind().as_str(),
        opts.new_instance,
    )?;
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
    )
    .await;
    match result {
        Ok(report) => Ok(Loaded {
            id: inst.id.clone(),
            container: inst.container_name(),
            role: role_name,
            workspace: target.key(),
            agent: agent.name.to_string(),
            engine: engine.kind().as_str().to_string(),
            summary: plan.summary(),
            notes: plan.notes(),
            report,
        }),
        Err(e) => {
            if fresh {
                let _ = engine.volume_remove(&inst.volume_name()).await;
                let _ = store.remove(&inst.id);
            }
            Err(e)
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
) -> Result<Vec<AgentReport>> {
    let name = inst.container_name();
    if let Some(existing) = engine.inspect_container(&name).await? {
        if existing.running && !opts.new_instance {
            bail!(
                "instance {} (role '{role_name}', {}) is already running as container {name}: \
                 attach with 'jackin hardline {}', or start a second one with 'jackin load --new-instance'",
                inst.id,
                target.key(),
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
    let mut entrypoint = vec![
        CONTAINER_PATH.to_string(),
        "run".into(),
        "--agent".into(),
        agent.name.into(),
        "--".into(),
    ];
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
    let id = engine.create_container(&spec).await?;
    let delivered = async {
        engine.start_container(&id).await?;
        deliver(engine, &id, plan, &user.name).await
    }
    .await;
    match delivered {
        Ok(r) => Ok(r),
        Err(e) => {
            let _ = engine.remove_container(&id, true).await;
            Err(e)
        }
    }
}
