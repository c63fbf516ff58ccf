#!/usr/bin/env bash
# The whole test suite on the real kernel (root): installs/builds what is
# missing first, then runs jest. Arguments go to jest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
exec node --experimental-vm-modules node_modules/jest/bin/jest.js --runInBand "$@"
