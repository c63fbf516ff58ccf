#!/usr/bin/env bash
# The kernel matrix (npm run test:kernels): builds what is missing, then runs
# lab/guest-checks on this machine's kernel and on each lab kernel (Debian's
# 6.1, 6.12 and newest sid kernel, in qemu: scripts/kernel-lab.sh) and prints
# the Supported kernels table. Arguments: [--no-host] [KERNEL...].
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
exec node dist/lab/matrix.js "$@"
