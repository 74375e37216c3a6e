#!/usr/bin/env bash
# Fuzzes the two parsers of untrusted input for a bounded time each:
#   - bundle_reader (jackin-init/fuzz): jackin-init's bundle reader, the
#     parser of the exec's stdin inside the container;
#   - config_parser (jackin/fuzz): config.toml loading and validation.
# CI runs it; it exits non-zero if libFuzzer finds a crash, a leak, a
# timeout (10 s per input) or an input using more than 512 MiB.
#
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
#   SECONDS  run time per target (default 60)
#   TARGET   bundle_reader and/or config_parser (default both)
# Needs the nightly toolchain; installs cargo-fuzz if it is missing.
# Crashing inputs land in <crate>/fuzz/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

seconds="${1:-60}"
case "$seconds" in
    '' | *[!0-9]*)
        echo "fuzz.sh: SECONDS must be a whole number, got '$seconds'" >&2
        exit 2
        ;;
esac
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(bundle_reader config_parser)

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

for target in "${targets[@]}"; do
    case "$target" in
        bundle_reader) dir="$root/jackin-init/fuzz" ;;
        config_parser) dir="$root/jackin/fuzz" ;;
        *)
            echo "fuzz.sh: unknown target '$target' (use bundle_reader or config_parser)" >&2
            exit 2
            ;;
    esac
    echo "fuzz.sh: $target for ${seconds}s"
    cd "$dir"
    mkdir -p "corpus/$target"
    cargo +nightly fuzz run "$target" "corpus/$target" "seeds/$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=512 -timeout=10
done
