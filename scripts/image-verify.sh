#!/usr/bin/env bash
# Prove, in real containers without network, how each agent CLI of
# localhost/jackin/agent-smith reports its login (the table in images/README.md).
#
#   scripts/image-verify.sh [--engine podman|docker|both] [--only REGEX]
#
# Each check starts a fresh container (`--network none`, fresh home), copies
# fake fixtures from shared/cases/fixtures into the agent user's home (0600,
# owned by agent), runs one command and asserts its exit code and an extended
# regex on its output (ANSI codes stripped). Fake secrets reach containers as
# `-e NAME` (value taken from this script's environment, never in argv).
# Prints one PASS/FAIL line per check and "N passed, N failed".
# Exit codes: 0 all passed, 1 a check failed, 2 usage.
set -uo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$SCRIPT_DIR/.." && pwd)
IMAGE=${JACKIN_AGENT_IMAGE:-localhost/jackin/agent-smith:latest}
FIXTURES=${JACKIN_FIXTURES:-$REPO_DIR/../shared/cases/fixtures}

ENGINES=(podman docker)
ONLY=""
while [ $# -gt 0 ]; do
    case "$1" in
        --engine) case "${2:-}" in podman|docker) ENGINES=("$2") ;; both) ;; *) echo "image-verify: --engine podman|docker|both" >&2; exit 2 ;; esac; shift 2 ;;
        --only) ONLY=${2:-}; shift 2 ;;
        -h|--help) sed -n 2,14p "$0"; exit 0 ;;
        *) echo "image-verify: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
[ -f "$FIXTURES/claude-valid.json" ] || { echo "image-verify: fixtures not found at $FIXTURES (set JACKIN_FIXTURES)" >&2; exit 1; }
FIXTURES=$(cd "$FIXTURES" && pwd)

# Fake credentials (the same shapes the CLIs accept; none is real).
export ANTHROPIC_API_KEY=sk-ant-api03-FAKE-env-0001
export CLAUDE_CODE_OAUTH_TOKEN=sk-ant-oat01-FAKE-env-0001
export OPENAI_API_KEY=sk-fake-env-key-1234567890abcdef
export AMP_API_KEY=sgamp_user_FAKE_env_0123456789
export OPENCODE_API_KEY=oc-FAKE-env-0001
# OpenCode's permission overrides (not secrets).
export OPENCODE_PERMISSION='{"*":"allow"}'
export OPENCODE_CONFIG_CONTENT='{"permission":{"*":"allow"}}'

# Shell helpers defined inside every container:
#   put FIXTURE DEST   copy a fixture to DEST (relative to $HOME), mode 0600
#   json DEST TEXT     write TEXT to DEST, mode 0600
#   lastrule           read `opencode debug agent build` JSON on stdin, print
#                      the index/action of the last "*" permission rule
#   tty SECONDS REGEX CMD…  run CMD in a pseudo-terminal (120x40) until its
#                      screen matches REGEX or SECONDS pass; print the screen
PRELUDE='
put() { mkdir -p "$(dirname "$HOME/$2")"; install -m 600 "/fx/$1" "$HOME/$2"; }
json() { mkdir -p "$(dirname "$HOME/$1")"; printf "%s" "$2" > "$HOME/$1"; chmod 600 "$HOME/$1"; }
strip() { sed -e "s/\x1b\[[0-9;]*G/ /g; s/\x1b\[[0-9;?<>=]*[a-zA-Z]//g; s/\x1b\][^\x07]*\x07//g; s/\x1b[()78][AB0-9]\{0,1\}//g; s/\r//g"; }
lastrule() { node -e "const p=JSON.parse(require(\"fs\").readFileSync(0,\"utf8\")).permission; const i=p.map(r=>r.permission).lastIndexOf(\"*\"); console.log(\"last-star-rule\", i, \"of\", p.length, p[i].action)"; }
tty() { local secs=$1 re=$2; shift 2; export TERM=xterm-256color
  (sleep "$secs") | script -qfc "stty cols 120 rows 40; $*" /tmp/ts >/dev/null 2>&1 & local pid=$!
  for _ in $(seq "$secs"); do sleep 1; strip </tmp/ts | grep -Eq "$re" && break; done
  kill "$pid" 2>/dev/null; strip </tmp/ts | grep -v "^[[:space:]]*$"; }
'

PASS=0
FAIL=0
# check ENGINE NAME "ENV NAMES" "SETUP" "COMMAND" EXPECTED_RC REGEX
check() {
    local e=$1 name=$2 envs=$3 setup=$4 cmd=$5 want_rc=$6 re=$7 out rc envargs=()
    [ -n "$ONLY" ] && ! [[ $name =~ $ONLY ]] && return 0
    for v in $envs; do envargs+=(-e "$v"); done
    out=$(timeout 120 "$e" run --rm --network none -v "$FIXTURES:/fx:ro" "${envargs[@]}" "$IMAGE" \
        bash -c "$PRELUDE
$setup
$cmd" 2>&1 </dev/null)
    rc=$?
    out=$(printf '%s' "$out" | sed -e 's/\x1b\[[0-9;?]*[a-zA-Z]//g')
    if { [ "$want_rc" = any ] || [ "$rc" = "$want_rc" ]; } && printf '%s' "$out" | grep -Eq -- "$re"; then
        PASS=$((PASS + 1)); printf 'PASS %-7s %-28s rc=%-3s /%s/\n' "$e" "$name" "$rc" "$re"
    else
        FAIL=$((FAIL + 1)); printf 'FAIL %-7s %-28s rc=%s (want %s) /%s/\n' "$e" "$name" "$rc" "$want_rc" "$re"
        printf '%s\n' "$out" | head -n 30 | sed 's/^/     | /'
    fi
}

run_checks() {
    local e=$1
    # --- logged out: fresh home ---
    check "$e" claude-logged-out "" "" 'claude auth status' 1 '"loggedIn": false'
    check "$e" claude-logged-out-text "" "" 'claude auth status --text' 1 '^Not logged in'
    check "$e" codex-logged-out "" "" 'codex login status' 1 '^Not logged in'
    check "$e" amp-logged-out "" "" 'timeout 10 amp tools list' 124 'No API key found'
    check "$e" opencode-logged-out "" "" 'opencode auth list' 0 '0 credentials'
    # --- logged in from files ---
    local claude_files='put claude-valid.json .claude/.credentials.json; put claude-account-work.json .claude.json'
    check "$e" claude-file "" "$claude_files" 'claude auth status' 0 '"email": "work@example.com"'
    check "$e" claude-file-text "" "$claude_files" 'claude auth status --text' 0 '^Email: work@example.com'
    check "$e" codex-file "" 'put codex-apikey.json .codex/auth.json' 'codex login status' 0 '^API key configured - sk-fake-\*\*\*bcdef'
    check "$e" amp-file "" 'put amp-secrets.json .local/share/amp/secrets.json' 'timeout 10 amp tools list' 0 '^[0-9]+ tools available'
    check "$e" opencode-file "" 'put opencode-auth.json .local/share/opencode/auth.json' 'opencode auth list' 0 '2 credentials'
    # --- from env ---
    check "$e" claude-env-api-key "ANTHROPIC_API_KEY" "" 'claude auth status' 0 '"authMethod": "api_key"'
    check "$e" claude-env-oauth-token "CLAUDE_CODE_OAUTH_TOKEN" "" 'claude auth status' 0 '"authMethod": "oauth_token"'
    check "$e" codex-env-login-status "OPENAI_API_KEY" "" 'codex login status' 1 '^Not logged in'
    check "$e" codex-env-doctor "OPENAI_API_KEY" "" 'codex doctor --json' 1 '"summary": "auth is provided by environment"'
    check "$e" amp-env "AMP_API_KEY" "" 'timeout 10 amp tools list' 0 '^[0-9]+ tools available'
    check "$e" opencode-env-opencode "OPENCODE_API_KEY" "" 'opencode auth list' 0 'OpenCode Zen +OPENCODE_API_KEY'
    check "$e" opencode-env-anthropic "ANTHROPIC_API_KEY" "" 'opencode auth list' 0 'Anthropic +ANTHROPIC_API_KEY'
    # --- revoked: `{}` credential files ---
    check "$e" claude-revoked "" "json .claude/.credentials.json '{}'; put claude-account-work.json .claude.json" 'claude auth status' 1 '"loggedIn": false'
    check "$e" claude-blank-stub "" "put claude-blank-stub.json .claude/.credentials.json; put claude-account-work.json .claude.json" 'claude auth status' 1 '"loggedIn": false'
    check "$e" claude-no-oauthAccount "" "put claude-valid.json .claude/.credentials.json; json .claude.json '{\"hasCompletedOnboarding\":true}'" 'claude auth status' 0 '"email": null'
    check "$e" codex-revoked-empty-object "" "json .codex/auth.json '{}'" 'codex login status' 0 '^Logged in using ChatGPT'
    check "$e" codex-revoked-doctor "" "json .codex/auth.json '{}'" 'codex doctor --json' 1 'stored credentials are incomplete'
    check "$e" codex-revoked-removed "" "put codex-apikey.json .codex/auth.json; rm .codex/auth.json" 'codex login status' 1 '^Not logged in'
    check "$e" amp-revoked "" "json .local/share/amp/secrets.json '{}'" 'timeout 10 amp tools list' 124 'No API key found'
    check "$e" opencode-revoked "" "json .local/share/opencode/auth.json '{}'" 'opencode auth list' 0 '0 credentials'
    # --- launch flags accepted by the pinned versions ---
    check "$e" claude-flag-help "" "" 'claude --help' 0 '--dangerously-skip-permissions'
    check "$e" codex-flag-help "" "" 'codex --help' 0 '--dangerously-bypass-approvals-and-sandbox'
    check "$e" codex-flag-accepted "" 'put codex-apikey.json .codex/auth.json' 'codex --dangerously-bypass-approvals-and-sandbox login status' 0 '^API key configured'
    check "$e" amp-flag-accepted "AMP_API_KEY" "" 'timeout 10 amp --dangerously-allow-all tools list' 0 '^[0-9]+ tools available'
    check "$e" amp-unknown-flag-rejected "AMP_API_KEY" "" 'timeout 10 amp --no-such-flag tools list' 1 "unknown option '--no-such-flag'"
    check "$e" opencode-flag-auto "" "" 'opencode --help' 0 '--auto +auto-approve permissions'
    check "$e" opencode-permission-default "" "" 'cd /tmp && opencode debug agent build | lastrule' 0 '^last-star-rule 0 of [0-9]+ allow'
    check "$e" opencode-permission-env "OPENCODE_PERMISSION" "" 'cd /tmp && opencode debug agent build | lastrule' 0 '^last-star-rule [1-9][0-9]* of [0-9]+ allow'
    check "$e" opencode-config-content-env "OPENCODE_CONFIG_CONTENT" "" 'cd /tmp && opencode debug agent build | lastrule' 0 '^last-star-rule [1-9][0-9]* of [0-9]+ allow'
    # --- Claude's first screens in a terminal (CLAUDE_CODE_OAUTH_TOKEN set, offline) ---
    local onb='{"hasCompletedOnboarding":true}'
    local all='{"hasCompletedOnboarding":true,"bypassPermissionsModeAccepted":true,"projects":{"/home/agent":{"hasTrustDialogAccepted":true}}}'
    check "$e" claude-tty-no-onboarding "CLAUDE_CODE_OAUTH_TOKEN" "" 'tty 60 "Unable to connect" claude' any 'Welcome to Claude Code'
    check "$e" claude-tty-onboarded "CLAUDE_CODE_OAUTH_TOKEN" "json .claude.json '$onb'" 'tty 60 "trust this folder" claude' any 'Yes, I trust this folder'
    check "$e" claude-tty-bypass-warning "CLAUDE_CODE_OAUTH_TOKEN" "json .claude.json '{\"hasCompletedOnboarding\":true,\"projects\":{\"/home/agent\":{\"hasTrustDialogAccepted\":true}}}'" 'tty 60 "Yes, I accept" claude --dangerously-skip-permissions' any 'Bypass Permissions mode'
    check "$e" claude-tty-straight-to-prompt "CLAUDE_CODE_OAUTH_TOKEN" "json .claude.json '$all'" 'tty 60 "bypass permissions on" claude --dangerously-skip-permissions' any 'bypass permissions on'
}

START=$(date +%s)
for e in "${ENGINES[@]}"; do run_checks "$e"; done
echo "image-verify: ${ENGINES[*]} in $(( $(date +%s) - START ))s"
echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
