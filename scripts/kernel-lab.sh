#!/usr/bin/env bash
# The kernel lab: boots one of Debian's own kernels in qemu over this
# machine's filesystem and runs a command there.
#
#   scripts/kernel-lab.sh list                      # the lab's kernels and the packages they resolve to
#   scripts/kernel-lab.sh archives                  # the archive URIs read from the apt sources
#   scripts/kernel-lab.sh fetch [KERNEL...]          # download + unpack (cached)
#   scripts/kernel-lab.sh run KERNEL [--out DIR] [--timeout S] -- CMD ARGS...
#
# KERNEL: 6.1 (Debian 12 bookworm + security), 6.12 (Debian 13 trixie +
# security), sid (the newest Debian kernel: 7.x today; also "newest").
#
# How: the packages come from Debian's archive through apt-get with a private
# sources list, lists and cache directory (the system's apt setup is never
# touched), cached in $URINGSCOPE_LAB_CACHE (default /var/cache/uringscope-lab).
# A busybox initramfs loads the 9p/overlay modules of that kernel, mounts this
# machine's / read-only over virtio-9p with a tmpfs overlay on top, and chroots
# into it, so the host's node, clang, fio and the built project run on the
# guest kernel. CMD runs as root in the current directory; $LAB_OUT is a
# directory shared read-write with the host (--out DIR, default a fresh temp
# directory, printed). The exit status is CMD's; 124 when --timeout (default
# 1800 s) ran out, 125 when the lab itself failed.
#
# qemu runs under TCG only: KVM does not boot nested guests on these machines,
# so anything timed in the lab is emulated (5-10x slower), for correctness only.
set -euo pipefail

LAB_CACHE=${URINGSCOPE_LAB_CACHE:-/var/cache/uringscope-lab}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

# The archive URIs come from this machine's own apt configuration (deb822
# /etc/apt/sources.list.d/*.sources and one-line sources.list entries), so the
# lab works behind a local mirror or proxy: the URI of a suite ending in
# -security serves debian-security, any other Debian suite's the main archive.
# URINGSCOPE_LAB_ARCHIVE / URINGSCOPE_LAB_SECURITY override them;
# URINGSCOPE_LAB_APT_ETC reads another apt directory (tests).
apt_uris() {
  local etc=${URINGSCOPE_LAB_APT_ETC:-/etc/apt}
  { for f in "$etc"/sources.list.d/*.sources; do
      [ -r "$f" ] || continue
      awk 'BEGIN { IGNORECASE = 1 }
           /^[[:space:]]*$/ { if (u != "" && s != "") for (i in S) print S[i], u; u = ""; s = ""; delete S; next }
           /^URIs:/ { u = $2 }
           /^Suites:/ { s = 1; for (i = 2; i <= NF; i++) S[i] = $i }
           /^Enabled:[[:space:]]*no/ { u = "" }
           END { if (u != "" && s != "") for (i in S) print S[i], u }' "$f"
    done
    cat "$etc"/sources.list "$etc"/sources.list.d/*.list 2>/dev/null |
      sed -n 's/^[[:space:]]*deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]\+\)[[:space:]]\+\([^[:space:]]\+\).*/\3 \2/p'
  } | awk '$1 ~ /^(bookworm|trixie|forky|sid|unstable|stable|testing|oldstable)/'
}
archive_uri() {
  local want=$1 uri
  uri=$(apt_uris | awk -v w="$want" '(w == "security") == ($1 ~ /-security$/) { print $2; exit }')
  [ -n "$uri" ] || die "no Debian ${want} archive in this machine's apt sources (/etc/apt/sources.list.d/*.sources, /etc/apt/sources.list): add one, or set URINGSCOPE_LAB_$( [ "$want" = security ] && echo SECURITY || echo ARCHIVE )"
  echo "${uri%/}"
}

say() { printf 'kernel-lab: %s\n' "$*" >&2; }
die() { say "$*"; exit 125; }

usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }

# The suites each lab kernel comes from (the newest linux-image-amd64 there).
suites_of() {
  case "$1" in
    6.1|bookworm)       echo "bookworm bookworm-updates bookworm-security" ;;
    6.12|trixie)        echo "trixie trixie-updates trixie-security" ;;
    sid|newest|7.x)     echo "sid" ;;
    *) return 1 ;;
  esac
}
canonical() {
  case "$1" in
    6.1|bookworm) echo 6.1 ;; 6.12|trixie) echo 6.12 ;; sid|newest|7.x) echo sid ;; *) return 1 ;;
  esac
}

need_host_tools() {
  local missing=() p
  for p in qemu-system-x86 busybox-static kmod xz-utils debian-archive-keyring cpio; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    [ "$(id -u)" -eq 0 ] || die "needs ${missing[*]} (run as root to install them)"
    say "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; } ||
      die "cannot install ${missing[*]}"
  fi
}

# apt-get/apt-cache with a private configuration for one lab kernel.
apt_private() {
  local k=$1; shift
  local d=$LAB_CACHE/apt/$k
  "$@" -o Dir::Etc::sourcelist="$d/sources.list" -o Dir::Etc::sourceparts=- \
    -o Dir::State::Lists="$d/lists" -o Dir::Cache="$d/cache" -o Dir::State::status=/dev/null \
    -o APT::Architecture=amd64 -o Debug::NoLocking=1 -o APT::Sandbox::User=root
}

update_lists() {
  local k=$1 d=$LAB_CACHE/apt/$1 s main sec
  main=${URINGSCOPE_LAB_ARCHIVE:-$(archive_uri main)} || exit 125
  sec=${URINGSCOPE_LAB_SECURITY:-$(archive_uri security)} || exit 125
  mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
  : > "$d/sources.list.new"
  for s in $(suites_of "$k"); do
    case "$s" in
      *-security) echo "deb [signed-by=$KEYRING] $sec $s main" ;;
      *)          echo "deb [signed-by=$KEYRING] $main $s main" ;;
    esac >> "$d/sources.list.new"
  done
  mv "$d/sources.list.new" "$d/sources.list"
  # Lists are refreshed once a day: a lab run must not depend on the network
  # more than it has to, but "newest" should stay newest.
  if [ -z "$(find "$d/lists" -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -1)" ]; then
    apt_private "$k" apt-get update -qq >/dev/null 2>&1 || {
      [ -n "$(find "$d/lists" -maxdepth 1 -name '*Packages*' | head -1)" ] || die "cannot read Debian's package lists for $k"
      say "cannot refresh the package lists for $k: using the cached ones"
    }
  fi
}

# The concrete image package behind linux-image-amd64, and its version.
resolve() {
  local k=$1 img ver
  img=$(apt_private "$k" apt-cache depends linux-image-amd64 2>/dev/null |
        sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -1)
  [ -n "$img" ] || die "no linux-image-amd64 in $(suites_of "$k")"
  ver=$(apt_private "$k" apt-cache show "$img" 2>/dev/null | sed -n 's/^Version: //p' | head -1)
  echo "$img $ver"
}

# Downloads and unpacks a kernel (the image package and the linux-binary /
# linux-modules packages newer kernels are split into). Prints its directory.
fetch() {
  local k img ver dir pkgs p
  k=$(canonical "$1") || die "unknown kernel '$1' (6.1, 6.12 or sid)"
  update_lists "$k"
  read -r img ver < <(resolve "$k")
  dir=$LAB_CACHE/kernels/$img
  if [ ! -f "$dir/.complete" ]; then
    say "fetching $img $ver"
    rm -rf "$dir"; mkdir -p "$dir/debs" "$dir/root"
    pkgs=("$img")
    while read -r p; do pkgs+=("$p"); done < <(apt_private "$k" apt-cache depends "$img" 2>/dev/null |
      sed -n 's/^ *Depends: \(linux-\(binary\|modules\|image\)-[0-9][^ ]*\)$/\1/p' | sort -u)
    (cd "$dir/debs" && apt_private "$k" apt-get download -qq "${pkgs[@]}" >/dev/null) ||
      die "cannot download ${pkgs[*]}"
    for p in "$dir"/debs/*.deb; do dpkg-deb -x "$p" "$dir/root"; done
    [ -n "$(kernel_image "$dir")" ] || die "$img has no vmlinuz"
    printf '%s\n' "$img $ver" > "$dir/version"
    for p in "$dir"/debs/*.deb; do dpkg-deb -W --showformat='${Package}=${Version}\n' "$p" >> "$dir/packages"; done
    rm -rf "$dir/debs"
    touch "$dir/.complete"
  fi
  echo "$dir"
}

# Where an unpacked kernel keeps its image and modules: /boot and /lib/modules
# up to 6.12, /usr/lib/modules/VERSION/ for both since the 7.x packaging.
kernel_image() {
  local f
  for f in "$1"/root/boot/vmlinuz-* "$1"/root/usr/lib/modules/*/vmlinuz "$1"/root/lib/modules/*/vmlinuz; do
    [ -f "$f" ] && { echo "$f"; return; }
  done
}
modules_dir() {
  local d
  for d in "$1"/root/lib/modules/* "$1"/root/usr/lib/modules/*; do
    [ -d "$d/kernel" ] && { echo "$d"; return; }
  done
}

# The modules the initramfs loads, in dependency order, with their own
# dependencies (modinfo's depends=). Whatever is built in is skipped.
WANTED_MODULES="virtio virtio_ring virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci netfs fscache 9pnet 9pnet_virtio 9p overlay loop"

module_path() { # DIR NAME -> path of NAME.ko[.xz|.zst] or nothing
  local f
  f=$(find "$1" -type f \( -name "$2.ko" -o -name "$2.ko.xz" -o -name "$2.ko.zst" \) | head -1)
  [ -n "$f" ] || f=$(find "$1" -type f \( -name "${2//_/-}.ko" -o -name "${2//_/-}.ko.xz" -o -name "${2//_/-}.ko.zst" \) | head -1)
  echo "$f"
}

build_initrd() { # KDIR -> path of initrd
  local kdir=$1 mdir out work order=() seen=" " m
  mdir=$(modules_dir "$kdir")
  [ -n "$mdir" ] || die "no modules in $kdir"
  out=$kdir/lab-initrd.cpio.gz
  [ -f "$out" ] && [ "$out" -nt "$0" ] && [ "$out" -nt "$(dirname "$0")/kernel-lab-init.sh" ] && { echo "$out"; return; }
  work=$(mktemp -d)
  mkdir -p "$work"/{bin,mods,proc,sys,dev,mnt/host,mnt/rw,mnt/root,mnt/out}
  cp /bin/busybox "$work/bin/busybox"
  add_module() {
    local name=$1 f dep
    case "$seen" in *" $name "*) return ;; esac
    seen="$seen$name "
    f=$(module_path "$mdir" "$name")
    [ -n "$f" ] || return 0 # built in (or absent: the mount says so)
    for dep in $(modinfo -F depends "$f" 2>/dev/null | tr ',' ' '); do add_module "$dep"; done
    order+=("$f")
  }
  for m in $WANTED_MODULES; do add_module "$m"; done
  : > "$work/mods/order"
  for m in "${order[@]}"; do
    local base; base=$(basename "$m"); base=${base%.xz}; base=${base%.zst}
    case "$m" in
      *.xz)  xz -dc "$m" > "$work/mods/$base" ;;
      *.zst) zstd -qdc "$m" > "$work/mods/$base" ;;
      *)     cp "$m" "$work/mods/$base" ;;
    esac
    echo "$base" >> "$work/mods/order"
  done
  cp "$(dirname "$0")/kernel-lab-init.sh" "$work/init"
  chmod +x "$work/init"
  (cd "$work" && find . | cpio -o -H newc --quiet | gzip -1) > "$out.tmp"
  mv "$out.tmp" "$out"
  rm -rf "$work"
  echo "$out"
}

run() {
  local k=$1; shift
  local out="" timeout=1800
  while [ $# -gt 0 ]; do
    case "$1" in
      --out) out=$2; shift 2 ;;
      --timeout) timeout=$2; shift 2 ;;
      --) shift; break ;;
      *) die "unexpected '$1' (usage: run KERNEL [--out DIR] [--timeout S] -- CMD...)" ;;
    esac
  done
  [ $# -gt 0 ] || die "no command (usage: run KERNEL [--out DIR] [--timeout S] -- CMD...)"
  need_host_tools
  local kdir initrd vmlinuz
  kdir=$(fetch "$k")
  initrd=$(build_initrd "$kdir")
  vmlinuz=$(kernel_image "$kdir")
  if [ -z "$out" ]; then out=$(mktemp -d /tmp/kernel-lab-out.XXXXXX); fi
  mkdir -p "$out"; out=$(cd "$out" && pwd)
  rm -f "$out/.lab-rc"

  # The command, as a script the guest runs from the current directory with
  # this environment's PATH and the lab's variables.
  job=$(mktemp -d /tmp/kernel-lab-job.XXXXXX)
  # The job script is ours alone: gone however this ends (an interrupt too).
  trap 'rm -rf "$job"' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  {
    echo '#!/bin/sh'
    printf 'export PATH=%q HOME=/root LAB_OUT=%q LAB_KERNEL=%q CI=%q TERM=%q\n' \
      "$PATH" "$out" "$(cat "$kdir/version")" "${CI:-}" "${TERM:-dumb}"
    printf 'cd %q || exit 125\n' "$PWD"
    printf 'exec'; printf ' %q' "$@"; echo
  } > "$job/cmd.sh"
  chmod +x "$job/cmd.sh"

  say "kernel $(cat "$kdir/version") [$(paste -sd, "$kdir/packages")]; emulated (TCG): timings are not the hardware's"
  local rc=0
  timeout --foreground -k 10 "$timeout" qemu-system-x86_64 \
    -accel tcg,thread=multi -cpu max -smp 2 -m 4096 \
    -display none -monitor none -serial stdio -nic none -no-reboot \
    -kernel "$vmlinuz" -initrd "$initrd" \
    -append "console=ttyS0 quiet loglevel=3 panic=-1 lab.out=$out lab.job=$job/cmd.sh" \
    -virtfs local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap \
    -virtfs "local,path=$out,mount_tag=out,security_model=none,multidevs=remap" \
    < /dev/null | sed -u -e 's/\r$//' -e '/^lab-init: ready$/d' -e '/^\[ *[0-9.]*\] reboot: Power down$/d' || rc=$?
  rm -rf "$job"
  if [ "$rc" -eq 124 ]; then say "timed out after ${timeout}s"; exit 124; fi
  [ -f "$out/.lab-rc" ] || die "the guest ended without running the command (see above)"
  rc=$(cat "$out/.lab-rc"); rm -f "$out/.lab-rc"
  say "exit $rc; results in $out"
  exit "$rc"
}

case "${1:-}" in
  list)
    shift
    for k in 6.1 6.12 sid; do update_lists "$k"; printf '%-5s %s\n' "$k" "$(resolve "$k")"; done ;;
  fetch)
    shift; [ $# -gt 0 ] || set -- 6.1 6.12 sid
    for k in "$@"; do d=$(fetch "$k"); printf '%-5s %s\n' "$k" "$(cat "$d/version")"; done ;;
  run) shift; [ $# -gt 0 ] || die "run needs a kernel"; run "$@" ;;
  archives)
    a=${URINGSCOPE_LAB_ARCHIVE:-$(archive_uri main)} || exit 125
    sec=${URINGSCOPE_LAB_SECURITY:-$(archive_uri security)} || exit 125
    printf 'archive  %s\nsecurity %s\n' "$a" "$sec" ;;
  -h|--help|help|"") usage ;;
  *) die "unknown command '$1' (list, fetch, run or archives; --help)" ;;
esac
