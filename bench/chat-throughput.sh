#!/usr/bin/env bash
# Durable chat messages per second and ack latency at 100, 1,000 and 5,000 couples, beside HBase's raw
# BufferedMutator put rate, all against an in-process HBase. JSON lines on stdout.
#   bench/chat-throughput.sh [seconds per step] [couples...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mvn -B -q -DskipTests install -pl bench -am
mvn -B -q -pl bench dependency:build-classpath -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime
opens="--add-opens java.base/java.lang=ALL-UNNAMED --add-opens java.base/java.nio=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED --add-opens java.base/java.util.concurrent=ALL-UNNAMED --add-exports java.base/jdk.internal.misc=ALL-UNNAMED"
# shellcheck disable=SC2086
exec java $opens -Xmx4g -cp "bench/target/classes:$(cat bench/target/classpath.txt)" dev.duet.bench.chat.ChatThroughput "$@"
