#!/usr/bin/env bash
# Quick start: install everything, then start uringscope (the TUI on the
# default workload, once it exists). Arguments go to uringscope.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
exec node dist/bin/uringscope.js "$@"
