#!/usr/bin/env bash
# A rolling restart with real processes, stream handover on and then off in the same run: three chat servers and a
# presenter in their own JVMs over an in-process HBase, couples sending in a closed loop; each chat server in turn
# drains (SIGTERM) and starts again. Disconnects, each couple's longest pause without an ack, the presenter's
# handover figures, and every acknowledgement checked in HBase. JSON lines on stdout.
#   bench/rolling-restart.sh [couples (30)]
set -euo pipefail
# shellcheck source=bench/build.sh
source "$(dirname "$0")/build.sh"
# shellcheck disable=SC2086
exec java $opens -Xmx2g -Dio.netty.leakDetection.level=disabled -cp "$classpath" \
  dev.duet.bench.failover.RollingRestartBenchmark "$@"
