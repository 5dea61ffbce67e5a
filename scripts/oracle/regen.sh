#!/usr/bin/env bash
# Regenerates the native oracle fixtures in test/fixtures/oracle/ (npm run oracle:regen).
#
# Needs an x86 Linux host that runs i386 executables (an x86-64 kernel with IA-32
# emulation will do) and a 32-bit C toolchain; on Debian: apt-get install gcc-multilib
# Only families named on the command line are regenerated, e.g.
#   npm run oracle:regen -- alu shift
# The results are those of the host CPU (its model goes into each fixture's header);
# flags the opcode table leaves undefined are the only values the replay ignores.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if ! gcc -m32 -static -O2 -fno-pie -no-pie -Wall -Wextra -Werror -o "$work/harness" scripts/oracle/harness.c; then
  echo "oracle:regen needs a 32-bit gcc: on Debian, apt-get install gcc-multilib" >&2
  exit 1
fi
npx esbuild scripts/oracle/generate.ts --bundle --platform=node --target=node20 --format=esm \
  --log-level=warning --outfile="$work/generate.mjs"
node "$work/generate.mjs" "$work/harness" test/fixtures/oracle "$@"
