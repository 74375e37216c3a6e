#!/usr/bin/env bash
# Launch overhead: `jackin load --detach` of the busybox probe image until
# the agent process has exec'd (the engine's log timestamp of the probe's
# first output line, `uid=…`; polled through the engine API), against a bare `podman run -d` / `docker run -d` of the
# same image running the same probe, measured the same way. Same network
# (none), the engine's init in both, runs interleaved (the order alternates
# every round), medians over RUNS rounds after WARMUP rounds.
#
# jackin's launch does more than the bare run by design: a named home
# volume, read-only binds of jackin-init and of the handoff folder, a tmpfs,
# a TTY, then the handoff of a four-agent `sync` bundle (fake host logins in
# a throwaway HOME) over the one-shot unix socket, and its apply. Each
# jackin round ends with `eject --purge`, so every launch creates a fresh
# instance and volume (the costliest case).
#
# Usage: bench/launch.sh [podman|docker|both]      (default both)
# Env:   RUNS (default 15), WARMUP (default 2), JACKIN_BIN (default
#        target/release/jackin), JACKIN_INIT_BIN (default the static build),
#        JACKIN_HANDOFF=exec to measure the exec handoff (the fallback)
#        instead of the socket.
# Prints per engine: medians (ms) of jackin and bare, their ratio, and the
# median of each launch phase from `jackin --debug`'s `timing:` lines.
set -euo pipefail
cd "$(dirname "$0")/.."
which="${1:-both}"
RUNS="${RUNS:-15}"
WARMUP="${WARMUP:-2}"
JACKIN="${JACKIN_BIN:-$PWD/target/release/jackin}"
export JACKIN_INIT_BIN="${JACKIN_INIT_BIN:-$PWD/target/x86_64-unknown-linux-gnu/init-release/jackin-init}"
IMAGE=localhost/jackin-test/probe:latest
PODMAN_SOCK=/run/podman/podman.sock
DOCKER_SOCK=/run/docker.sock

for f in "$JACKIN" "$JACKIN_INIT_BIN"; do
    [ -x "$f" ] || { echo "launch.sh: $f is missing: run bench/run.sh (it builds both) or set JACKIN_BIN / JACKIN_INIT_BIN" >&2; exit 1; }
done
case "$which" in
    both) engines="podman docker" ;;
    podman | docker) engines="$which" ;;
    *) echo "launch.sh: engine must be podman, docker or both, got '$which'" >&2; exit 2 ;;
esac

scratch=$(mktemp -d /tmp/jackin-bench-launch.XXXXXX)
export HOME="$scratch/home" JACKIN_CONFIG_DIR="$scratch/config" JACKIN_DATA_DIR="$scratch/data"
unset CLAUDE_CONFIG_DIR CODEX_HOME XDG_DATA_HOME XDG_CONFIG_HOME CONTAINER_HOST DOCKER_HOST
mkdir -p "$HOME/.claude" "$HOME/.codex" "$HOME/.local/share/amp" "$HOME/.local/share/opencode" "$scratch/ws"
# Fake logins (shapes from FIELD-NOTES.md), so the bundle writes real files.
echo '{"claudeAiOauth":{"accessToken":"sk-ant-oat01-bench","refreshToken":"sk-ant-ort01-bench","expiresAt":4102444800000,"scopes":["user:inference","user:profile"],"subscriptionType":"max"}}' >"$HOME/.claude/.credentials.json"
echo '{"oauthAccount":{"accountUuid":"u","emailAddress":"bench@example.com"}}' >"$HOME/.claude.json"
echo '{"OPENAI_API_KEY":"sk-bench"}' >"$HOME/.codex/auth.json"
echo '{"apiKey@https://ampcode.com/":"sgamp_user_bench"}' >"$HOME/.local/share/amp/secrets.json"
echo '{"anthropic":{"type":"api","key":"sk-bench"}}' >"$HOME/.local/share/opencode/auth.json"

"$JACKIN" -q role add bench-probe --image "$IMAGE" --agent claude --agent codex --agent amp --agent opencode
"$JACKIN" -q workspace create bench --workdir "$scratch/ws"

# Every instance id and bare container made, "ENGINE jackin|bare ID" per
# line (rounds run in subshells): removed on exit, even after a failure.
live="$scratch/live"
: >"$live"
cleanup() {
    while read -r engine kind id; do
        if [ "$kind" = jackin ]; then
            "$JACKIN" -q eject "$id" --purge --engine "$engine" >/dev/null 2>&1 || true
        else
            bare_rm "$engine" "$id" || true
        fi
    done <"$live"
    rm -rf "$scratch"
}
trap cleanup EXIT

now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo "$((t / 1000)).$(printf %03d $((t % 1000)))"; }

# logs ENGINE NAME: the container's logs through the engine's API (one
# curl: a few ms, the same poller for both launches).
logs() {
    case "$1" in
        podman) curl -fsS --unix-socket "$PODMAN_SOCK" "http://d/v4.0.0/libpod/containers/$2/logs?stdout=true&stderr=true" 2>/dev/null ;;
        docker) curl -fsS --unix-socket "$DOCKER_SOCK" "http://d/v1.41/containers/$2/logs?stdout=1&stderr=1" 2>/dev/null ;;
    esac
}

# first_line_ms ENGINE NAME: polls (engine API) until the probe's first
# line is in the logs, then prints when the engine logged it (ms since the
# epoch, the log's own nanosecond timestamp from `podman/docker logs -t`:
# Podman 4.3's API rounds its timestamps to whole seconds), so the poll's
# latency is not measured.
first_line_ms() {
    local deadline=$(($(date +%s) + 30)) ts
    until logs "$1" "$2" | grep -aq 'uid='; do
        if [ "$(date +%s)" -gt "$deadline" ]; then
            echo "launch.sh: no probe output from $2 on $1 after 30 s" >&2
            return 1
        fi
    done
    case "$1" in
        podman) ts=$(podman logs -t "$2" 2>&1 | grep -ao '^[0-9-]*T[0-9:.]*Z uid=' | head -1) ;;
        docker) ts=$(docker -H "unix://$DOCKER_SOCK" logs -t "$2" 2>&1 | grep -ao '^[0-9-]*T[0-9:.]*Z uid=' | head -1) ;;
    esac
    [ -n "$ts" ] || { echo "launch.sh: no timestamped probe line from $2 on $1" >&2; return 1; }
    date -u -d "${ts% uid=}" +%s%N | awk '{ printf "%.3f", $1 / 1e6 }'
}

bare_run() {
    case "$1" in
        podman) podman run -d --network none --init --name "$2" "$IMAGE" /usr/local/bin/claude >/dev/null ;;
        docker) docker -H "unix://$DOCKER_SOCK" run -d --network none --init --name "$2" "$IMAGE" /usr/local/bin/claude >/dev/null ;;
    esac
}
bare_rm() {
    case "$1" in
        podman) podman rm -f -t 0 "$2" >/dev/null 2>&1 ;;
        docker) docker -H "unix://$DOCKER_SOCK" rm -f "$2" >/dev/null 2>&1 ;;
    esac
}

# One jackin round: prints "total_ms load_ms"; appends timing lines to $3.
jackin_round() {
    local engine=$1 err=$2 timings=$3 t0 t1 t2 out id container
    t0=$(now_ms)
    out=$("$JACKIN" --debug load bench-probe bench --json --engine "$engine" --network none 2>"$err") || {
        echo "launch.sh: jackin load failed on $engine:" >&2
        cat "$err" >&2
        return 1
    }
    t1=$(now_ms)
    id=$(jq -r .id <<<"$out")
    container=$(jq -r .container <<<"$out")
    echo "$engine jackin $id" >>"$live"
    t2=$(first_line_ms "$engine" "$container")
    sed 's/\x1b\[[0-9;]*m//g' "$err" | grep -o 'timing: .*' >>"$timings" || true
    "$JACKIN" -q eject "$id" --purge --engine "$engine" >/dev/null
    awk -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN { printf "%.1f %.1f\n", c - a, b - a }'
}

bare_round() {
    local engine=$1 name t0 t1
    name="jackin-bench-bare-$$-$RANDOM"
    echo "$engine bare $name" >>"$live"
    t0=$(now_ms)
    bare_run "$engine" "$name"
    t1=$(first_line_ms "$engine" "$name")
    bare_rm "$engine" "$name"
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f\n", b - a }'
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else if (NR % 2) printf "%.1f", v[(NR + 1) / 2]; else printf "%.1f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "launch overhead: $RUNS interleaved rounds per engine after $WARMUP warm-up rounds; $(nproc) cores; $(date -u +%Y-%m-%dT%H:%MZ)"
echo "jackin: $JACKIN ($("$JACKIN" --version)); handoff: ${JACKIN_HANDOFF:-socket}"
for engine in $engines; do
    jt="$scratch/$engine.jackin" lt="$scratch/$engine.load" bt="$scratch/$engine.bare" timings="$scratch/$engine.timings"
    : >"$jt"; : >"$lt"; : >"$bt"; : >"$timings"
    for ((i = 1; i <= WARMUP + RUNS; i++)); do
        if ((i % 2)); then
            j=$(jackin_round "$engine" "$scratch/err" "$scratch/t.tmp"); b=$(bare_round "$engine")
        else
            b=$(bare_round "$engine"); j=$(jackin_round "$engine" "$scratch/err" "$scratch/t.tmp")
        fi
        if ((i > WARMUP)); then
            echo "${j% *}" >>"$jt"; echo "${j#* }" >>"$lt"; echo "$b" >>"$bt"
            cat "$scratch/t.tmp" >>"$timings"
        fi
        : >"$scratch/t.tmp"
    done
    mj=$(median <"$jt"); mb=$(median <"$bt"); ml=$(median <"$lt")
    ratio=$(awk -v j="$mj" -v b="$mb" 'BEGIN { printf "%.2f", j / b }')
    echo
    echo "== $engine =="
    printf '  %-46s %8s ms\n' "jackin load --detach → agent exec'd (median)" "$mj"
    printf '  %-46s %8s ms\n' "jackin process, start to exit (median)" "$ml"
    printf '  %-46s %8s ms\n' "bare $engine run -d → probe exec'd (median)" "$mb"
    printf '  %-46s %8s   (target ≤ 1.30)\n' "ratio jackin / bare" "$ratio"
    echo "  jackin phases (median of $RUNS, from --debug 'timing:' lines):"
    grep -o '^timing: .* [0-9.]* ms$' "$timings" | sed -E 's/^timing: (.*) ([0-9.]+) ms$/\1\t\2/' |
        awk -F'\t' '{ print $1 }' | awk '!seen[$0]++' | while IFS= read -r phase; do
        m=$(awk -F'\t' -v p="$phase" '$1 == p { print $2 }' < <(sed -E 's/^timing: (.*) ([0-9.]+) ms$/\1\t\2/' "$timings") | median)
        printf '    %-44s %8s ms\n' "$phase" "$m"
    done
    echo "  raw jackin: $(tr '\n' ' ' <"$jt")"
    echo "  raw bare:   $(tr '\n' ' ' <"$bt")"
done
