#!/usr/bin/env bash
# Where each edge's CPU goes while it takes full connects (TLS 1.3 handshake and the authenticate call): runs
# bench/edge.sh and, over its measured full-connect phase (both edges warm, their slices taken in turns), samples the
# presenter and HAProxy with perf; prints each process's samples by thread and library, then the edge.sh lines.
#   bench/edge-profile.sh [idle connection count]      (default: 2000)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if ! command -v perf >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq linux-perf >/dev/null
fi
work=$(mktemp -d /tmp/duet-edge-profile.XXXXXX)
"$root/bench/edge.sh" "${1:-2000}" >"$work/edge.log" 2>&1 &
bench=$!
# Measured slices start once HAProxy, warmed last, has printed its warm-up.
for _ in $(seq 1 1800); do
  grep -q '"full-connect-warm-up","edge":"haproxy"' "$work/edge.log" 2>/dev/null && break
  kill -0 "$bench" 2>/dev/null || { cat "$work/edge.log" >&2; exit 1; }
  sleep 0.2
done
presenter=$(pgrep -f 'PresenterMain --id bench-presenter ' | head -1)
haproxy=$(pgrep -x haproxy | head -1)
if [ -z "$presenter" ] || [ -z "$haproxy" ]; then
  echo "edge-profile: the presenter or HAProxy of the benchmark is not running" >&2
  exit 1
fi
perf record -F 499 -g -p "$presenter,$haproxy" -o "$work/perf.data" -- sleep 10 >/dev/null 2>&1
wait "$bench"
perf report -i "$work/perf.data" --no-children --sort pid,comm,dso -g none --stdio 2>/dev/null \
  | grep -v '^#' | grep -v '^$' | head -30
grep '^{' "$work/edge.log"
