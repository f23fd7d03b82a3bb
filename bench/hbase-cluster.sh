#!/usr/bin/env bash
# The chat server on HBase as separate processes (ZooKeeper, a master, two region servers, started from the HBase jars
# of the build; data in a temporary directory): throughput beside raw puts into the same cluster, then a kill -9 of
# one region server under send load, checked for lost and duplicated messages. JSON lines on stdout.
#   bench/hbase-cluster.sh [seconds=20] [throughput couples=1000] [kill-test couples=200] [regions=8]
set -euo pipefail
# shellcheck source=bench/build.sh
source "$(dirname "$0")/build.sh"
# shellcheck disable=SC2086
exec java $opens -Xmx4g -cp "$classpath" dev.duet.bench.cluster.HBaseClusterBenchmark "$@"
