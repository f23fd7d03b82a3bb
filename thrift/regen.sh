#!/usr/bin/env bash
# Regenerates the committed Java sources from src/main/thrift/*.thrift with the Thrift compiler.
#   thrift/regen.sh          rewrite src/main/java
#   thrift/regen.sh --check  fail (exit 1) when src/main/java differs from what the compiler generates;
#                            skip (exit 0) when no thrift compiler is installed
# Install the compiler on Debian with: apt-get install -y thrift-compiler (0.17.0)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
options=java:private_members,generated_annotations=suppress

if ! command -v thrift >/dev/null 2>&1; then
  if [[ ${1:-} == --check ]]; then
    echo "regen.sh: no thrift compiler on PATH, skipping the staleness check" >&2
    exit 0
  fi
  echo "regen.sh: no thrift compiler on PATH (apt-get install -y thrift-compiler)" >&2
  exit 2
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for idl in "$here"/src/main/thrift/*.thrift; do
  thrift --gen "$options" -out "$out" "$idl"
done

if [[ ${1:-} == --check ]]; then
  if ! diff -r "$out/dev" "$here/src/main/java/dev" >/dev/null; then
    diff -r "$out/dev" "$here/src/main/java/dev" | head -40 >&2
    echo "regen.sh: the committed generated code is stale: run thrift/regen.sh and commit the result" >&2
    exit 1
  fi
  echo "regen.sh: generated code is up to date ($(thrift -version))"
  exit 0
fi

rm -rf "$here/src/main/java/dev"
mkdir -p "$here/src/main/java"
cp -r "$out/dev" "$here/src/main/java/"
echo "regen.sh: regenerated $(find "$here/src/main/java" -name '*.java' | wc -l) files with $(thrift -version)"
