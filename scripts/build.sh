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
node scripts/gen-schema.mjs
tsc -p tsconfig.json
tsc -p dashboard/tsconfig.json  # type-checks the dashboard (plain ES modules with JSDoc types; emits nothing)
tsc -p tsconfig.test.json     # type-checks the tests too (vitest does not)
