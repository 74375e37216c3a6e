#!/bin/sh
# Installs and starts both container engines jackin's tests need, as root,
# on a Debian 12 machine (see shared/FIELD-NOTES.md):
#   - Podman 4.3: REST service (libpod API, plus Docker-compatible API) at
#     unix:///run/podman/podman.sock
#   - Docker 20.10 (API 1.41): dockerd at unix:///run/docker.sock, without
#     the default bridge or iptables (containers use --network none)
# Idempotent: installed packages are kept, a socket that already answers is
# left alone. Exits 1 with a message (and the engine's log) on failure.
#
# Environment:
#   JACKIN_ENGINE_LOG_DIR     where the engines' logs go (default /tmp)
#   JACKIN_ENGINE_WAIT_SECS   how long to wait for each socket (default 60)
#   JACKIN_CONTAINERS_CONF    containers.conf to write (default /etc/containers/containers.conf)
set -eu

PODMAN_SOCK=/run/podman/podman.sock
DOCKER_SOCK=/run/docker.sock
LOG_DIR=${JACKIN_ENGINE_LOG_DIR:-/tmp}
WAIT_SECS=${JACKIN_ENGINE_WAIT_SECS:-60}
CONF=${JACKIN_CONTAINERS_CONF:-/etc/containers/containers.conf}
PODMAN_LOG="$LOG_DIR/jackin-podman-service.log"
DOCKER_LOG="$LOG_DIR/jackin-dockerd.log"

say() { echo "engines.sh: $*"; }
die() { echo "engines.sh: error: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (installs packages and starts system services)"

# --- packages -------------------------------------------------------------
need=""
command -v podman >/dev/null 2>&1 || need="$need podman"
command -v runc >/dev/null 2>&1 || need="$need runc"
command -v newuidmap >/dev/null 2>&1 || need="$need uidmap"
[ -x /usr/libexec/podman/catatonit ] || need="$need catatonit"
command -v dockerd >/dev/null 2>&1 || need="$need docker.io"
command -v docker-init >/dev/null 2>&1 || [ -x /usr/sbin/docker-init ] || [ -x /usr/bin/docker-init ] || need="$need tini"
# Static busybox: the tests build their images from /bin/busybox.
file_static() { [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; }
file_static || need="$need busybox-static"
command -v curl >/dev/null 2>&1 || need="$need curl"
if [ -n "$need" ]; then
    say "installing:$need"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q || die "apt-get update failed"
    # shellcheck disable=SC2086
    apt-get install -y -q $need || die "apt-get install$need failed"
else
    say "packages already installed"
fi

# --- Podman settings --------------------------------------------------------
# The default nofile ulimit (1048576) exceeds the hard limit on these machines,
# and crun refuses their hybrid cgroup layout: use runc.
if [ -f "$CONF" ] && grep -q '^runtime *= *"runc"' "$CONF" && grep -q '^default_ulimits' "$CONF"; then
    say "$CONF already has the runc runtime and ulimits"
else
    mkdir -p "$(dirname "$CONF")"
    if [ -f "$CONF" ]; then
        cp "$CONF" "$CONF.jackin-backup"
        say "saved the previous $CONF as $CONF.jackin-backup"
    fi
    cat >"$CONF" <<'CONF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]

[engine]
runtime = "runc"
CONF
    say "wrote $CONF"
fi

# --- services -----------------------------------------------------------------
answers() { # socket path, ping path
    curl -sf --max-time 5 --unix-socket "$1" "http://d$2" >/dev/null 2>&1
}

mkdir -p "$LOG_DIR"
if answers "$PODMAN_SOCK" /libpod/_ping; then
    say "podman already answers at unix://$PODMAN_SOCK"
else
    mkdir -p "$(dirname "$PODMAN_SOCK")"
    rm -f "$PODMAN_SOCK"
    say "starting podman system service (log: $PODMAN_LOG)"
    nohup podman system service --time=0 "unix://$PODMAN_SOCK" >"$PODMAN_LOG" 2>&1 &
fi

if answers "$DOCKER_SOCK" /_ping; then
    say "docker already answers at unix://$DOCKER_SOCK"
else
    if [ -f /run/dockerd.pid ] && kill -0 "$(cat /run/dockerd.pid)" 2>/dev/null; then
        say "dockerd (pid $(cat /run/dockerd.pid)) is running but not answering yet"
    else
        rm -f /run/dockerd.pid
        say "starting dockerd (log: $DOCKER_LOG)"
        nohup dockerd --host "unix://$DOCKER_SOCK" --iptables=false --bridge=none \
            --data-root /var/lib/docker --pidfile /run/dockerd.pid >"$DOCKER_LOG" 2>&1 &
    fi
fi
# The standard path some clients use first.
[ -e /var/run/docker.sock ] || ln -s "$DOCKER_SOCK" /var/run/docker.sock 2>/dev/null || true

wait_for() { # name, socket, ping path, log
    i=0
    while ! answers "$2" "$3"; do
        i=$((i + 1))
        if [ "$i" -gt "$WAIT_SECS" ]; then
            echo "engines.sh: error: $1 did not answer at unix://$2 within ${WAIT_SECS}s; last lines of $4:" >&2
            tail -n 30 "$4" >&2 2>/dev/null || true
            exit 1
        fi
        sleep 1
    done
    say "$1 answers at unix://$2"
}
wait_for podman "$PODMAN_SOCK" /libpod/_ping "$PODMAN_LOG"
wait_for docker "$DOCKER_SOCK" /_ping "$DOCKER_LOG"

version_of() { # socket
    curl -s --max-time 5 --unix-socket "$1" http://d/version | grep -o '"Version": *"[^"]*"' | head -n1 | sed 's/.*"\([^"]*\)"$/\1/'
}
say "ready: podman $(version_of "$PODMAN_SOCK"), docker $(version_of "$DOCKER_SOCK")"
