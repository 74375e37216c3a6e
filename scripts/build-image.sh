#!/usr/bin/env bash
# Build jackin's default role image, localhost/jackin/agent-smith:latest,
# for Podman and/or Docker, without any container registry.
#
#   scripts/build-image.sh [--engine podman|docker|both] [--rebuild]
#
# Steps (each skipped when its result already exists, unless --rebuild):
#   1. install missing host prerequisites with apt-get (mmdebstrap, npm);
#   2. make a Debian trixie root filesystem with mmdebstrap (Node 20, git,
#      ca-certificates, bash, coreutils, procps, user `agent` uid 1000) and
#      cache it as a tar;
#   3. import that tar into each engine as localhost/jackin/debian-base:trixie;
#   4. install the pinned agent CLIs (images/agent-smith/pins.env) with npm
#      into a cached staging tree, once for both engines;
#   5. build images/agent-smith/Containerfile from that tree on each engine
#      (no RUN step, no network), then smoke-test the four CLIs offline.
#
# Cache: ${JACKIN_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/jackin}.
# Environment: JACKIN_DEBIAN_MIRROR (a Debian mirror URL for mmdebstrap;
# default: mmdebstrap's own), DOCKER_HOST / CONTAINER_HOST as the CLIs read them.
# Exit codes: 0 ok, 1 failure, 2 usage.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$SCRIPT_DIR/.." && pwd)
IMAGE_DIR="$REPO_DIR/images/agent-smith"
# shellcheck source=image-lib.sh
. "$SCRIPT_DIR/image-lib.sh"

usage() {
    cat <<'EOF'
usage: scripts/build-image.sh [--engine podman|docker|both] [--rebuild]

Builds localhost/jackin/agent-smith:latest (and its base
localhost/jackin/debian-base:trixie) for the selected engines.
  --engine E   podman, docker or both (default: every engine that answers)
  --rebuild    rebuild the base rootfs, the npm staging tree and the images
  -h, --help   show this help
EOF
}

ENGINE_ARG=""
REBUILD=0
while [ $# -gt 0 ]; do
    case "$1" in
        --engine) [ $# -ge 2 ] || { usage >&2; exit 2; }; ENGINE_ARG=$2; shift 2 ;;
        --engine=*) ENGINE_ARG=${1#--engine=}; shift ;;
        --rebuild) REBUILD=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "build-image: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
done

case "$ENGINE_ARG" in
    podman) ENGINES=(podman) ;;
    docker) ENGINES=(docker) ;;
    both) ENGINES=(podman docker) ;;
    "") ENGINES=() ;;
    *) echo "build-image: --engine must be podman, docker or both, not '$ENGINE_ARG'" >&2; exit 2 ;;
esac

START=$(date +%s)
CACHE_DIR=${JACKIN_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/jackin}
mkdir -p "$CACHE_DIR"

# --- engines ---------------------------------------------------------------
if [ ${#ENGINES[@]} -eq 0 ]; then
    for e in podman docker; do
        if command -v "$e" >/dev/null 2>&1 && engine_answers "$e"; then ENGINES+=("$e"); fi
    done
    [ ${#ENGINES[@]} -gt 0 ] || die "neither podman nor docker answers; start one (see shared/FIELD-NOTES.md) or pass --engine"
fi
for e in "${ENGINES[@]}"; do
    command -v "$e" >/dev/null 2>&1 || die "$e is not installed (apt-get install ${e/docker/docker.io})"
    engine_answers "$e" || die "$e does not answer ('$e info' failed); start its service/daemon first"
done
log "engines: ${ENGINES[*]}; cache: $CACHE_DIR"

# --- 1. host prerequisites -------------------------------------------------
ensure_host_tools

# --- 2. base root filesystem ----------------------------------------------
BASE_TAR="$CACHE_DIR/debian-base-$BASE_SUITE.tar"
BASE_KEY_FILE="$BASE_TAR.key"
if [ "$REBUILD" = 1 ] || [ ! -s "$BASE_TAR" ] || [ ! -s "$BASE_KEY_FILE" ]; then
    build_base_tar "$BASE_TAR"
    date -u +%Y%m%dT%H%M%SZ-$$ >"$BASE_KEY_FILE"
else
    log "base rootfs cached: $BASE_TAR ($(human_size "$(stat -c %s "$BASE_TAR")"))"
fi
BASE_KEY=$(cat "$BASE_KEY_FILE")

# --- 3. import the base into each engine ----------------------------------
for e in "${ENGINES[@]}"; do
    if [ "$(image_label "$e" "$BASE_IMAGE" io.jackin.base-key)" = "$BASE_KEY" ]; then
        log "$e: $BASE_IMAGE up to date"
    else
        log "$e: importing $BASE_IMAGE"
        "$e" import --change 'CMD ["bash"]' --change "LABEL io.jackin.base-key=$BASE_KEY" \
            "$BASE_TAR" "$BASE_IMAGE" >"$CACHE_DIR/import-$e.log" 2>&1 || {
            tail -n 5 "$CACHE_DIR/import-$e.log" >&2; die "$e import of $BASE_TAR failed (log: $CACHE_DIR/import-$e.log)"; }
    fi
done

# --- 4. npm staging tree ---------------------------------------------------
STAGE_KEY=$(stage_key)
STAGE_DIR="$CACHE_DIR/agents-$STAGE_KEY"
if [ "$REBUILD" = 1 ] || [ ! -e "$STAGE_DIR/.complete" ]; then
    stage_agents "$STAGE_DIR"
else
    log "agent CLIs cached: $STAGE_DIR"
fi

# --- 5. build agent-smith --------------------------------------------------
BUILD_KEY=$(cat "$IMAGE_DIR/Containerfile" "$IMAGE_DIR/pins.env" <(echo "$STAGE_KEY $BASE_KEY") | sha256sum | cut -c1-16)
for e in "${ENGINES[@]}"; do
    if [ "$REBUILD" = 0 ] && [ "$(image_label "$e" "$AGENT_IMAGE" io.jackin.build-key)" = "$BUILD_KEY" ]; then
        log "$e: $AGENT_IMAGE up to date (build key $BUILD_KEY)"
    else
        build_agent_image "$e" "$STAGE_DIR" "$BUILD_KEY"
    fi
    smoke_test "$e"
    log "$e: $AGENT_IMAGE size $(human_size "$(image_size "$e" "$AGENT_IMAGE")")"
done

log "done in $(( $(date +%s) - START ))s"
