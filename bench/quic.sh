#!/usr/bin/env bash
# QUIC against TLS over TCP on one presenter: the time from connecting to the first acknowledged message through a
# proxy that adds a delay each way (a fresh session, then a resumed one: 0-RTT over QUIC), and the presenter's
# resident memory per idle connection on each transport. JSON lines on stdout.
#   bench/quic.sh [runs] [one-way delay ms] [idle connections]      (default: 10 50 2000; 0 runs: memory only)
# The presenter runs on CPU 1, the clients, proxies, chat server and HBase on CPU 0.
set -euo pipefail
# shellcheck source=bench/build.sh
source "$(dirname "$0")/build.sh"
# shellcheck disable=SC2086
exec taskset -c 0 java $opens -Xmx4g -Dio.netty.leakDetection.level=disabled \
  -cp "$classpath" dev.duet.bench.edge.QuicBenchmark 1 "${1:-10}" "${2:-50}" "${3:-2000}"
