#!/usr/bin/env bash
# Runs every check of jackin on this machine, from a fresh Debian/Ubuntu
# machine as root: installs what is missing, starts Podman's API service and
# dockerd, builds the static jackin-init and the images, then runs
# cargo fmt --check, clippy -D warnings, every test (unit, CLI, both engines,
# real agent CLIs) and a bounded fuzz run of the bundle reader.
#
#   sudo bash scripts/test.sh            # everything (what CI runs)
#   FUZZ_SECONDS=0 bash scripts/test.sh  # skip the fuzz run (local only)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
step() { printf '\n==> %s  [%s]\n' "$*" "$(date -u +%H:%M:%S)"; }
start=$(date +%s)

step "system packages, Podman service and dockerd"
need=""
for tool in tmux:tmux file:file readelf:binutils script:bsdutils; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || need="$need ${tool#*:}"
done
if [ -n "$need" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q && apt-get install -y -q $need
fi
bash .ci/engines.sh

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "static jackin-init"
bash scripts/build-init.sh
export JACKIN_INIT_BIN="$PWD/target/x86_64-unknown-linux-gnu/init-release/jackin-init"

if [ -x scripts/build-image.sh ] || [ -f scripts/build-image.sh ]; then
  step "agent-smith image (both engines)"
  bash scripts/build-image.sh --engine both
fi

if [ "${FUZZ_SECONDS:-60}" != 0 ]; then
  step "fuzz the bundle reader and the config parser (${FUZZ_SECONDS:-60}s each; output in target/fuzz.log)"
  if ! bash scripts/fuzz.sh "${FUZZ_SECONDS:-60}" > target/fuzz.log 2>&1; then
    tail -n 40 target/fuzz.log
    echo "fuzzing failed: see target/fuzz.log" >&2
    exit 1
  fi
  grep -E "^(fuzz|Done|==|#[0-9]+ +DONE)" target/fuzz.log | tail -n 6 || true
fi

step "tests (unit, CLI, engines, real agents)"
set +e
cargo test --workspace --no-fail-fast -- --test-threads="${TEST_THREADS:-4}" 2>&1 | tee target/test.log
rc=${PIPESTATUS[0]}
set -e
passed=$( (grep -Eo 'test result: [A-Za-z]+\. [0-9]+ passed' target/test.log || true) | awk '{s+=$4} END {print s+0}')
failed=$( (grep -Eo '[0-9]+ failed;' target/test.log || true) | awk '{s+=$1} END {print s+0}')
step "finished in $(( $(date +%s) - start ))s"
echo "$passed passed, $failed failed"
exit "$rc"
