#!/usr/bin/env bash
# Runs an autoscaling lifecycle hook: every executable in deploy/lifecycle/<launch|terminate>.d/, in name order,
# then completes the lifecycle action: CONTINUE when they all succeeded, ABANDON when one failed. While a hook runs
# longer than HEARTBEAT_SECONDS, the action's heartbeat is recorded so the group keeps waiting.
#
#   run-hooks.sh launch|terminate
#
# Environment (set by the caller, e.g. from the lifecycle notification):
#   INSTANCE_ID, LIFECYCLE_HOOK_NAME, ASG_NAME   identify the action (required)
#   HEARTBEAT_SECONDS                            default 60
#   DUET_ROLE                                    presenter | chat-server (hooks use it to decide what to do)
#   DUET_ADMIN                                   the local admin endpoint, default http://127.0.0.1:9443
set -uo pipefail
phase=${1:?usage: run-hooks.sh launch|terminate}
case "$phase" in launch|terminate) ;; *) echo "run-hooks.sh: unknown phase '$phase'" >&2; exit 2 ;; esac
: "${INSTANCE_ID:?INSTANCE_ID is required}" "${LIFECYCLE_HOOK_NAME:?LIFECYCLE_HOOK_NAME is required}" \
  "${ASG_NAME:?ASG_NAME is required}"
heartbeat=${HEARTBEAT_SECONDS:-60}
dir="$(cd "$(dirname "$0")" && pwd)/$phase.d"
export INSTANCE_ID LIFECYCLE_HOOK_NAME ASG_NAME

log() { echo "run-hooks[$phase]: $*" >&2; }

aws_lifecycle() {
  aws autoscaling "$1" --lifecycle-hook-name "$LIFECYCLE_HOOK_NAME" --auto-scaling-group-name "$ASG_NAME" \
    --instance-id "$INSTANCE_ID" "${@:2}"
}

result=CONTINUE
for hook in "$dir"/*; do
  [ -f "$hook" ] && [ -x "$hook" ] || continue
  log "running $(basename "$hook")"
  "$hook" &
  pid=$!
  waited=0
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    waited=$((waited + 1))
    if [ $((waited % heartbeat)) -eq 0 ] && kill -0 "$pid" 2>/dev/null; then
      log "$(basename "$hook") still running after ${waited}s: heartbeat"
      aws_lifecycle record-lifecycle-action-heartbeat || log "heartbeat failed"
    fi
  done
  if ! wait "$pid"; then
    log "$(basename "$hook") failed: abandoning"
    result=ABANDON
    break
  fi
done
log "completing the lifecycle action: $result"
aws_lifecycle complete-lifecycle-action --lifecycle-action-result "$result"
[ "$result" = CONTINUE ]
