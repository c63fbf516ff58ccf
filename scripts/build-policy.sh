#!/usr/bin/env bash
# Builds a C chain policy (the API is bpf/uringscope.h) twice from one source:
#   OUT/policy.bpf.o  for strategy bpf  (bpf/runtime/policy.bpf.c + the policy)
#   OUT/policy.ops.bpf.o  the same, with the bpf-ops loop step (--bpf-path ops, Linux 7.1+)
#   OUT/policy.so     for strategy user (native/policy/runtime.c + the policy)
# Used by `make policies` (the built-in ones) and by uringscope at run time
# (--policy FILE.c), so both compile a policy the same way.
# Usage: scripts/build-policy.sh POLICY.c OUTDIR
set -euo pipefail
src=$(realpath "$1")
out=$2
root=$(cd "$(dirname "$0")/.." && pwd)
arch=$(uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
clang=${CLANG:-clang}
mkdir -p "$out"
# -fno-color-diagnostics and -ferror-limit keep clang's errors short and plain
# for the one-line message uringscope makes of them.
common=(-g -O2 -Wall -Wno-unused-function -Wno-unused-variable -fno-color-diagnostics -ferror-limit=3
        -I"$root/bpf" -DUS_POLICY_SOURCE="\"$src\"")
"$clang" "${common[@]}" -target bpf -mcpu=v3 -D__TARGET_ARCH_"$arch" -I"$root/build" \
  -c "$root/bpf/runtime/policy.bpf.c" -o "$out/policy.bpf.o"
# bpf/bpf_ops.h declares the bpf-ops types unless the build's vmlinux.h has them.
ops=(-DUS_OPS_LOOP)
if grep -qs 'struct io_uring_bpf_ops {' "$root/build/vmlinux.h"; then ops+=(-DUS_VMLINUX_HAS_BPF_OPS); fi
"$clang" "${common[@]}" -target bpf -mcpu=v3 -D__TARGET_ARCH_"$arch" -I"$root/build" "${ops[@]}" \
  -c "$root/bpf/runtime/policy.bpf.c" -o "$out/policy.ops.bpf.o"
# x / 0: C leaves it undefined, BPF makes it 0; the check names the line
# (native/policy/runtime.c) instead of a bare SIGFPE.
"$clang" "${common[@]}" -fPIC -shared -fvisibility=hidden -fsanitize=integer-divide-by-zero \
  "$root/native/policy/runtime.c" -o "$out/policy.so"
