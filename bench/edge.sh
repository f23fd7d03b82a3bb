#!/usr/bin/env bash
# The presenter side by side with HAProxy: memory per idle TLS connection, connects per second (a full or resumed
# TLS 1.3 handshake and the authenticate call) with the server's CPU per connect, and round trips at 1,000
# connections, also through a presenter whose mux connections use mutual TLS (the relay's cost of it). JSON lines on
# stdout.
#   bench/edge.sh [idle connection counts...]      (default: 5000 15000)
# The edges run on CPU 1, the load generator, chat server and HBase on CPU 0. Connects are measured after a warm-up
# that lasts until the presenter's JIT is quiet, in slices taken in turns by the two edges.
set -euo pipefail
if ! command -v haproxy >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null
fi
# shellcheck source=bench/build.sh
source "$(dirname "$0")/build.sh"
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(5000 15000)
# shellcheck disable=SC2086
exec taskset -c 0 java $opens -Xmx4g -Dio.netty.leakDetection.level=disabled \
  -cp "$classpath" dev.duet.bench.edge.EdgeBenchmark \
  "$(command -v haproxy)" 1 "${counts[@]}"
