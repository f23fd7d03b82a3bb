#!/usr/bin/env bash
# Failover with real processes: three chat servers and a presenter in their own JVMs over an in-process HBase and its
# ZooKeeper, couples sending in a closed loop. A ZooKeeper cut for the chat servers (client disconnects), then kill -9
# of a chat server (recovery p50/p99 seconds), then every acknowledgement checked in HBase. JSON lines on stdout.
#   bench/failover.sh [couples (60)] [ZooKeeper cut seconds (30)]
set -euo pipefail
# shellcheck source=bench/build.sh
source "$(dirname "$0")/build.sh"
# shellcheck disable=SC2086
exec java $opens -Xmx2g -Dio.netty.leakDetection.level=disabled -cp "$classpath" \
  dev.duet.bench.failover.FailoverBenchmark "$@"
