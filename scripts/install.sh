#!/usr/bin/env bash
# Installs everything uringscope needs on Debian 12 (as root): the apt
# packages that are missing, the npm packages, then builds vmlinux.h, the BPF
# objects + skeletons, the native addon, the test helpers and the TypeScript,
# and links /usr/local/bin/uringscope to this checkout's build.
# Safe to run again: it only installs what is missing and rebuilds what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1muringscope setup:\033[0m %s\n' "$*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
  say "run me as root (sudo $0): apt packages and BPF need it"; exit 1
fi

# Build: liburing-dev libbpf-dev clang llvm bpftool libelf-dev zlib1g-dev
# pkg-config make g++. Tests and benchmarks: fio bpftrace tmux util-linux
# (setpriv) prometheus (test/serve.test.ts scrapes `serve` with a real one; it
# starts its own on a free port, the package's service is not used).
PKGS=(liburing-dev libbpf-dev clang llvm bpftool libelf-dev zlib1g-dev pkg-config make g++
      fio bpftrace tmux util-linux prometheus)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts the prometheus package's own service (:9090); the tests run
  # their own instance, so one we just installed is switched off again.
  if [[ " ${missing[*]} " == *" prometheus "* ]] && [ -d /run/systemd/system ]; then
    systemctl disable --now prometheus >/dev/null 2>&1 || true
  fi
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

say "building (BPF, native addon, helpers, TypeScript, schema validators)"
make -s all
npx tsc -p tsconfig.json
node dist/bin/build-validators.js
chmod +x dist/bin/uringscope.js

# `uringscope` on the PATH: a link to this checkout's build (node follows it
# back here for the addon and the BPF objects). An existing file that is not
# such a link is left alone.
BIN=${URINGSCOPE_BIN:-/usr/local/bin/uringscope}
if [ -L "$BIN" ] || [ ! -e "$BIN" ]; then
  ln -sfn "$PWD/dist/bin/uringscope.js" "$BIN"
  say "linked $BIN -> $PWD/dist/bin/uringscope.js"
else
  say "$BIN exists and is not a link: left alone (run $PWD/dist/bin/uringscope.js)"
fi
# Contributors' commits: the subject check (scripts/hooks/commit-msg).
scripts/install-hooks.sh
say "done"
