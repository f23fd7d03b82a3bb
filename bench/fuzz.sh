#!/usr/bin/env bash
# Fuzzes every decoder for real with Jazzer, one after another: each runs for ten million inputs or thirty minutes,
# whichever comes first (protocol's dev.duet.protocol.testing.FuzzLimits). Netty's leak detector samples (SIMPLE)
# instead of tracking every buffer (PARANOID, as in the build): PARANOID runs about 2,000 inputs a second, SIMPLE
# about 30 times that, and over ten million inputs a leak on any path is still sampled many times over.
# Logging is down to errors (bench/fuzz-logback.xml): every refused input logs a line, and ten million of them would
# fill the disk. A finding fails that target: Jazzer writes the input to the module's src/test/resources and prints the stack.
# One JSON line per target on stdout: {"bench":"fuzz","target":…,"runs":…,"seconds":…,"findings":…}
#   bench/fuzz.sh [target ...]     (default: all of them)
set -uo pipefail
cd "$(dirname "$0")/.."
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(protocol:ClientDecoderFuzzTest#clientFramesAndThriftMessages protocol:ClientDecoderFuzzTest#oneThriftMessage
           protocol:MuxDecoderFuzzTest#muxFrames protocol:MuxDecoderFuzzTest#dataLayout protocol:TokenFuzzTest#tokens
           presenter:FirstFrameFuzzTest#firstFrames)
fi
mvn -B -q install -DskipTests >&2 || exit 1
failed=0
for target in "${targets[@]}"; do
  module=${target%%:*}
  test=${target#*:}
  log=$(mktemp)
  JAZZER_FUZZ=1 mvn -B verify -pl "$module" -Dduet.leak.level=SIMPLE \
    -Dduet.test.args="-Dlogback.configurationFile=$PWD/bench/fuzz-logback.xml" -Dtest="$test" -Dsurefire.failIfNoSpecifiedTests=false >"$log" 2>&1
  status=$?
  done_line=$(grep -E '^Done [0-9]+ runs in [0-9]+ second' "$log" | tail -1)
  runs=$(echo "$done_line" | awk '{print $2}')
  seconds=$(echo "$done_line" | awk '{print $5}')
  findings=0
  [ $status -ne 0 ] && findings=1 && failed=1 && grep -E 'FuzzerSecurityIssue|Exception|Error' "$log" | head -20 >&2
  echo "{\"bench\":\"fuzz\",\"target\":\"$test\",\"runs\":${runs:-0},\"seconds\":${seconds:-0},\"findings\":$findings}"
  rm -f "$log"
done
rm -rf protocol/.cifuzz-corpus presenter/.cifuzz-corpus
exit $failed
