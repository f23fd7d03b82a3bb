#!/usr/bin/env bash
# Builds the benchmarks and runs JMH with the given arguments, e.g.
#   bench/jmh.sh DataFrameCodecBenchmark -prof gc -rf json -rff target/data-frame.json
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mvn -B -q -DskipTests install -pl bench -am
mvn -B -q -pl bench dependency:build-classpath -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime
opens="--add-opens java.base/java.lang=ALL-UNNAMED --add-opens java.base/java.nio=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED --add-opens java.base/java.util.concurrent=ALL-UNNAMED --add-exports java.base/jdk.internal.misc=ALL-UNNAMED"
# shellcheck disable=SC2086
exec java $opens -cp "bench/target/classes:$(cat bench/target/classpath.txt)" org.openjdk.jmh.Main -jvmArgsPrepend "$opens" "$@"
