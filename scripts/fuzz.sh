#!/usr/bin/env bash
# Fuzzes jackin-init's bundle reader (the parser of untrusted stdin) for a
# bounded time. CI runs it; it exits non-zero if libFuzzer finds a crash,
# a leak, a timeout or an input using more than 512 MiB.
#
# Usage: scripts/fuzz.sh [SECONDS]   (default 60)
# Needs the nightly toolchain; installs cargo-fuzz if it is missing.
# Crashing inputs land in jackin-init/fuzz/artifacts/bundle_reader/.
set -euo pipefail
cd "$(dirname "$0")/../jackin-init/fuzz"

seconds="${1:-60}"
case "$seconds" in
    '' | *[!0-9]*)
        echo "fuzz.sh: SECONDS must be a whole number, got '$seconds'" >&2
        exit 2
        ;;
esac

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

mkdir -p corpus/bundle_reader
cargo +nightly fuzz run bundle_reader corpus/bundle_reader seeds/bundle_reader -- \
    -max_total_time="$seconds" -rss_limit_mb=512 -timeout=10
