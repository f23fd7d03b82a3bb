#!/usr/bin/env bash
# Builds the benchmarks and runs JMH with the given arguments, e.g.
#   bench/jmh.sh DataFrameCodecBenchmark -prof gc -rf json -rff target/data-frame.json
set -euo pipefail
# shellcheck source=bench/build.sh
source "$(dirname "$0")/build.sh"
# shellcheck disable=SC2086
exec java $opens -cp "$classpath" org.openjdk.jmh.Main -jvmArgsPrepend "$opens" "$@"
