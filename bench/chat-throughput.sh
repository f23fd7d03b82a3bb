#!/usr/bin/env bash
# Durable chat messages per second and ack latency at 100, 1,000 and 5,000 couples, beside HBase's raw
# BufferedMutator put rate, all against an in-process HBase; each phase measured once the JIT is quiet, and followed
# by a line of where the CPU went (HBase server and client, chat server, load generator, JIT, GC). JSON lines on stdout.
#   bench/chat-throughput.sh [seconds per step] [couples...]
set -euo pipefail
# shellcheck source=bench/build.sh
source "$(dirname "$0")/build.sh"
# shellcheck disable=SC2086
exec java $opens -Xmx4g -cp "$classpath" dev.duet.bench.chat.ChatThroughput "$@"
