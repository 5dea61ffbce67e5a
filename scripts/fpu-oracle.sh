#!/usr/bin/env bash
# Regenerates the native x87 oracle fixture test/fixtures/fpu/oracle.txt.gz
# from test/fixtures/fpu/oracle.c, on this host's FPU (test/fpu/oracle.test.ts
# replays it; zcat shows it). Needs an x86 host that runs i386 executables and a 32-bit gcc
# (Debian: apt-get install gcc-multilib). The first line records the CPU model.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gcc -m32 -static -O2 -Wall -Wextra -Werror -o "$work/oracle" test/fixtures/fpu/oracle.c
{
  echo "# $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  "$work/oracle"
} | gzip -9n > test/fixtures/fpu/oracle.txt.gz
