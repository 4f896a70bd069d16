#!/usr/bin/env bash
# The one build: eBPF objects and skeletons (bpf/), the native addon (node-gyp),
# the TypeScript (tsc). Incremental: only what changed is rebuilt.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -f bpf/Makefile ]; then
  make -s -C bpf
fi
if [ ! -f build/Makefile ] || [ binding.gyp -nt build/Makefile ]; then
  node-gyp configure --silent
fi
node-gyp build --silent >/dev/null
# The app scenarios' Java sources (apps/java), compiled only when they changed.
mapfile -t java_src < <(find apps/java -name '*.java' | sort)
java_hash=$( (sha256sum "${java_src[@]}"; javac -version 2>&1) | sha256sum | cut -d' ' -f1)
java_out=build/apps/java
if [ "$(cat "$java_out/.src-hash" 2>/dev/null)" != "$java_hash" ]; then
  command -v javac >/dev/null || { echo "build: javac is missing (openjdk-17-jdk-headless): run scripts/setup.sh" >&2; exit 1; }
  rm -rf "$java_out" && mkdir -p "$java_out"
  netty_cp=$(printf '/usr/share/java/netty-%s.jar:' common buffer transport transport-native-unix-common transport-native-epoll)
  javac -Xlint:all -Werror -d "$java_out" -cp "$netty_cp" "${java_src[@]}"
  echo "$java_hash" > "$java_out/.src-hash"
fi
node scripts/gen-schema.mjs
tsc -p tsconfig.json
tsc -p dashboard/tsconfig.json  # type-checks the dashboard (plain ES modules with JSDoc types; emits nothing)
tsc -p tsconfig.test.json     # type-checks the tests too (vitest does not)
