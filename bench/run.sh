#!/usr/bin/env bash
# Runs every benchmark of jackin and prints the figures README.md's
# "Performance" section records (bench/RESULTS.md has the last run):
#
#   sudo bash bench/run.sh            # both engines
#   sudo bash bench/run.sh podman     # launch overhead on one engine only
#
# 1. launch overhead (bench/launch.sh): jackin load --detach vs a bare
#    `podman/docker run -d`, interleaved, medians and ratio, phase breakdown;
# 2. jackin-init receive of a four-agent bundle (jackin-init/benches/
#    receive.rs): criterion in-process time, whole-process median, peak RSS;
# 3. 500 workspaces × 10 roles: `jackin config auth show` (bench/config.sh);
# 4. the static jackin-init's size.
#
# Needs root, both engines running (.ci/engines.sh), curl and jq, and the
# stable toolchain; builds jackin (release), the static jackin-init and the
# probe image when missing. RUNS (launch rounds, default 15) is passed on.
set -euo pipefail
cd "$(dirname "$0")/.."
engines="${1:-both}"
step() { printf '\n==> %s\n' "$*"; }

step "machine"
echo "date:   $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "cpu:    $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "memory: $(free -g | awk '/^Mem:/ { print $2 " GiB" }'); kernel $(uname -r); $(. /etc/os-release && echo "$PRETTY_NAME")"
echo "podman: $(podman --version 2>/dev/null || echo missing); docker: $(docker --version 2>/dev/null || echo missing)"

step "build: jackin (release), static jackin-init, probe image"
cargo build -q --release -p jackin
bash scripts/build-init.sh >/dev/null
export JACKIN_INIT_BIN="$PWD/target/x86_64-unknown-linux-gnu/init-release/jackin-init"
export JACKIN_BIN="$PWD/target/release/jackin"
case "$engines" in both) cargo run -q -p jackin-tests --bin jackin-probe-image ;; *) cargo run -q -p jackin-tests --bin jackin-probe-image -- "$engines" ;; esac

step "1. launch overhead"
bash bench/launch.sh "$engines"

step "2. jackin-init receive, four-agent bundle"
cargo bench -q -p jackin-init --bench receive 2>&1 | grep -E 'whole_process|time:|^receive'
est=target/criterion/receive_in_process/new/estimates.json
if [ -f "$est" ]; then
    awk -v ns="$(jq '.median.point_estimate' "$est")" 'BEGIN { printf "receive/in_process (criterion): median %.3f ms\n", ns / 1e6 }'
fi

step "3. config resolution, 500 workspaces × 10 roles"
bash bench/config.sh

step "4. static jackin-init"
size=$(stat -c %s "$JACKIN_INIT_BIN")
awk -v s="$size" 'BEGIN { printf "size: %d bytes (%.2f MiB; target ≤ 1.50 MiB)\n", s, s / 1048576 }'
