#!/usr/bin/env bash
# Publishes this presenter's weighted DNS record (Route 53, SetIdentifier = the instance id) with the weight from the
# local /status — only when it moved by more than WEIGHT_THRESHOLD (default 10) since the last publication, unless
# --force. --weight N publishes N instead (0 takes the presenter out of rotation). Run every minute by
# duet-dns-weight.timer.
#
# Environment: INSTANCE_ID, HOSTED_ZONE_ID, RECORD_NAME (e.g. chat.example.com.), RECORD_VALUE (this presenter's
# public IP), optional RECORD_TTL (60), WEIGHT_STATE (where the last published weight is kept), DUET_ADMIN.
set -euo pipefail
source "$(dirname "$0")/../lifecycle/admin.sh"
: "${INSTANCE_ID:?}" "${HOSTED_ZONE_ID:?}" "${RECORD_NAME:?}" "${RECORD_VALUE:?}"
state=${WEIGHT_STATE:-/var/lib/duet/published-weight}
threshold=${WEIGHT_THRESHOLD:-10}
force=false
weight=
while [ $# -gt 0 ]; do
  case "$1" in
    --force) force=true ;;
    --weight) weight=$2; force=true; shift ;;
    *) echo "update-weight.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$weight" ] || weight=$(status_field weight)
last=$(cat "$state" 2>/dev/null || echo -1)
diff=$(( weight > last ? weight - last : last - weight ))
if [ "$force" = false ] && [ "$last" -ge 0 ] && [ "$diff" -le "$threshold" ]; then
  exit 0
fi
change=$(cat <<JSON
{"Changes":[{"Action":"UPSERT","ResourceRecordSet":{"Name":"$RECORD_NAME","Type":"A","SetIdentifier":"$INSTANCE_ID","Weight":$weight,"TTL":${RECORD_TTL:-60},"ResourceRecords":[{"Value":"$RECORD_VALUE"}]}}]}
JSON
)
aws route53 change-resource-record-sets --hosted-zone-id "$HOSTED_ZONE_ID" --change-batch "$change" >/dev/null
mkdir -p "$(dirname "$state")"
echo "$weight" > "$state"
