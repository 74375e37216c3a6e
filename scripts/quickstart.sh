#!/usr/bin/env bash
# Sets up jackin on a fresh Debian/Ubuntu machine and launches the default
# role (agent-smith: Claude Code, Codex, Amp, OpenCode) in a folder, with
# the agents already logged in from this machine's logins.
#
#   sudo bash scripts/quickstart.sh [--demo] [--engine podman|docker] [--dir DIR] [-- LOAD-ARGS…]
#
#   --demo      use a throwaway HOME holding fake logins, start the instance
#               in the background, and show each agent's own login check
#               (no real accounts needed; nothing of yours is read)
#   --engine E  podman (default) or docker
#   --dir DIR   the folder to work in (default: the current folder)
#
# Steps: install packages and start the engine (.ci/engines.sh), build
# jackin and the static jackin-init, build the default role image (first
# time: several minutes), then `jackin load agent-smith DIR`.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEMO=0 ENGINE=podman DIR=$PWD
while [ $# -gt 0 ]; do
    case "$1" in
        --demo) DEMO=1; shift ;;
        --engine) ENGINE=${2:?--engine needs podman or docker}; shift 2 ;;
        --dir) DIR=${2:?--dir needs a folder}; shift 2 ;;
        --) shift; break ;;
        -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "quickstart: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
case "$ENGINE" in podman|docker) ;; *) echo "quickstart: --engine must be podman or docker" >&2; exit 2 ;; esac
step() { printf '\n==> %s\n' "$*"; }
[ "$(id -u)" = 0 ] || { echo "quickstart: run as root (it installs packages and starts the engine): sudo bash $0 $*" >&2; exit 1; }

step "packages and container engines"
bash "$REPO/.ci/engines.sh"

step "Rust toolchain"
if ! command -v cargo >/dev/null 2>&1; then
    [ -x "$HOME/.cargo/bin/cargo" ] || {
        command -v curl >/dev/null || apt-get install -y -q curl
        curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
    }
    export PATH="$HOME/.cargo/bin:$PATH"
fi
cargo --version

step "building jackin and the static jackin-init (first build: several minutes)"
(cd "$REPO" && cargo build --release -p jackin && bash scripts/build-init.sh)
JACKIN="$REPO/target/release/jackin"
export JACKIN_INIT_BIN="$REPO/target/x86_64-unknown-linux-gnu/init-release/jackin-init"
export JACKIN_SOURCE_DIR="$REPO"

step "default role image on $ENGINE"
bash "$REPO/scripts/build-image.sh" --engine "$ENGINE"

# dockerd here runs without a bridge network; give it no network instead.
NET=()
if [ "$ENGINE" = docker ] && ! docker network inspect bridge >/dev/null 2>&1; then NET=(--network none); fi

if [ "$DEMO" = 1 ]; then
    step "demo: a throwaway HOME with fake logins"
    DEMO_HOME=$(mktemp -d /tmp/jackin-demo.XXXXXX)
    mkdir -p "$DEMO_HOME/.claude" "$DEMO_HOME/.codex" "$DEMO_HOME/.local/share/amp" "$DEMO_HOME/.local/share/opencode" "$DEMO_HOME/work"
    printf '%s' '{"claudeAiOauth":{"accessToken":"sk-ant-oat01-demo","refreshToken":"sk-ant-ort01-demo","expiresAt":4102444800000,"scopes":["user:inference","user:profile"],"subscriptionType":"max"}}' > "$DEMO_HOME/.claude/.credentials.json"
    printf '%s' '{"oauthAccount":{"accountUuid":"00000000-0000-4000-8000-00000000d3m0","emailAddress":"demo@example.com","organizationUuid":"00000000-0000-4000-8000-00000000d3m1","organizationName":"Demo Org"}}' > "$DEMO_HOME/.claude.json"
    printf '%s' '{"OPENAI_API_KEY":"sk-demo-0123456789abcdef"}' > "$DEMO_HOME/.codex/auth.json"
    printf '%s' '{"apiKey@https://ampcode.com/":"sgamp_user_demo"}' > "$DEMO_HOME/.local/share/amp/secrets.json"
    printf '%s' '{"anthropic":{"type":"api","key":"sk-ant-api03-demo"}}' > "$DEMO_HOME/.local/share/opencode/auth.json"
    chmod 600 "$DEMO_HOME"/.claude/.credentials.json "$DEMO_HOME"/.codex/auth.json
    export HOME="$DEMO_HOME" JACKIN_CONFIG_DIR="$DEMO_HOME/.config/jackin" JACKIN_DATA_DIR="$DEMO_HOME/.local/share/jackin"
    cd "$DEMO_HOME/work"
    "$JACKIN" load agent-smith --detach --engine "$ENGINE" --network none
    id=$("$JACKIN" ps --engine "$ENGINE" --json | sed -n 's/.*"id": "\([a-z0-9]\{8\}\)".*/\1/p' | head -n1)
    c="jk-$id-agent-smith"
    step "each agent's own login check inside the container ($c)"
    for check in "claude:claude auth status --text" "codex:codex login status" "amp:timeout 10 amp tools list" "opencode:opencode auth list"; do
        agent=${check%%:*}; cmd=${check#*:}
        echo "--- $agent: $cmd"
        # shellcheck disable=SC2086
        $ENGINE exec "$c" /jackin/jackin-init exec --agent "$agent" -- $cmd 2>&1 | head -n 8 || true
    done
    cat <<MSG

The demo instance $id runs in the background. Try:
  HOME=$DEMO_HOME JACKIN_CONFIG_DIR=$JACKIN_CONFIG_DIR JACKIN_DATA_DIR=$JACKIN_DATA_DIR \\
    $JACKIN hardline $id --engine $ENGINE --shell
and remove it with:
  HOME=$DEMO_HOME JACKIN_CONFIG_DIR=$JACKIN_CONFIG_DIR JACKIN_DATA_DIR=$JACKIN_DATA_DIR \\
    $JACKIN eject $id --purge --engine $ENGINE
MSG
    exit 0
fi

step "launching agent-smith in $DIR (your host logins; quit the agent to leave, the instance keeps its home)"
cd "$DIR"
exec "$JACKIN" load agent-smith --engine "$ENGINE" "${NET[@]}" "$@"
