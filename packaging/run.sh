#!/usr/bin/env bash
# The Action's run step (action.yml): runs fanout with the step's inputs
# and exits with fanout's own exit status (0 all ok, 1 a URL not ok,
# 2 usage error, 130/143 interrupted), so the job sees it.
#
# Environment:
#   FANOUT_BIN       the binary (default: fanout on PATH)
#   FANOUT_ARGS      arguments, split like a shell does words: quotes and
#                    backslashes group, newlines separate; nothing is
#                    expanded or run
#   FANOUT_INPUT     a URL list file, passed as -i FILE
#   FANOUT_OUTPUT    a file for the records (JSON Lines); default: the log
#   FANOUT_SUMMARY   "true": append the Markdown report to
#                    GITHUB_STEP_SUMMARY, also when fanout fails
# It writes exit-code=N to GITHUB_OUTPUT.
set -euo pipefail

fanout=${FANOUT_BIN:-fanout}
# Forward slashes: bash and a Windows fanout.exe both take them.
tmp=${RUNNER_TEMP:-${TMPDIR:-/tmp}}
tmp=${tmp//\\//}
args=()
if [ -n "${FANOUT_ARGS//[[:space:]]/}" ]; then
  # xargs splits and unquotes, and runs only printf.
  split=$(mktemp "$tmp/fanout-args.XXXXXX")
  if ! printf '%s\n' "$FANOUT_ARGS" | xargs printf '%s\0' >"$split" 2>/dev/null; then
    rm -f "$split"
    echo "fanout action: args: unmatched quote in: $FANOUT_ARGS" >&2
    if [ -n "${GITHUB_OUTPUT:-}" ]; then
      echo "exit-code=2" >>"$GITHUB_OUTPUT"
    fi
    exit 2
  fi
  while IFS= read -r -d '' arg; do
    args+=("$arg")
  done <"$split"
  rm -f "$split"
fi
if [ -n "${FANOUT_INPUT:-}" ]; then
  args+=(-i "$FANOUT_INPUT")
fi

report=
if [ "${FANOUT_SUMMARY:-false}" = true ]; then
  report=$(mktemp "$tmp/fanout-summary.XXXXXX")
  args+=(--report "markdown=$report")
fi

status=0
if [ -n "${FANOUT_OUTPUT:-}" ]; then
  "$fanout" ${args[@]+"${args[@]}"} >"$FANOUT_OUTPUT" || status=$?
else
  "$fanout" ${args[@]+"${args[@]}"} || status=$?
fi

if [ -n "$report" ]; then
  if [ -s "$report" ] && [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    cat "$report" >>"$GITHUB_STEP_SUMMARY"
  fi
  rm -f "$report"
fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  echo "exit-code=$status" >>"$GITHUB_OUTPUT"
fi
exit "$status"
