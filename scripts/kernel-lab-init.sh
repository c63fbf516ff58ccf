#!/bin/busybox sh
# /init of the kernel lab's initramfs (built by scripts/kernel-lab.sh): loads
# the 9p and overlay modules of the guest kernel, mounts the host's / (9p,
# read-only) under a tmpfs overlay, the host's results directory read-write at
# the same path, chroots and runs the job. The job's exit status goes to
# $LAB_OUT/.lab-rc, then the guest powers off.
/bin/busybox mkdir -p /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

fail() { echo "lab-init: $*"; poweroff -f; }

for m in $(cat /mods/order); do
  insmod "/mods/$m" 2>/dev/null || echo "lab-init: insmod $m failed"
done

out= job=
for a in $(cat /proc/cmdline); do
  case "$a" in lab.out=*) out=${a#lab.out=} ;; lab.job=*) job=${a#lab.job=} ;; esac
done

mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose host /mnt/host ||
  mount -t 9p -o trans=virtio,version=9p2000.L,ro host /mnt/host || fail "cannot mount the host's / over 9p"
mount -t tmpfs -o size=3g tmpfs /mnt/rw
mkdir -p /mnt/rw/upper /mnt/rw/work
mount -t overlay overlay -o lowerdir=/mnt/host,upperdir=/mnt/rw/upper,workdir=/mnt/rw/work /mnt/root ||
  fail "cannot mount the overlay"
for d in proc sys dev; do mount --move /$d /mnt/root/$d; done
# /tmp stays the overlay's (writes go to tmpfs; the host's files show
# through, and the project may itself live under /tmp). /run is fresh.
mount -t tmpfs tmpfs /mnt/root/run
mount -t tmpfs tmpfs /mnt/root/dev/shm 2>/dev/null
mkdir -p /mnt/root/dev/pts && mount -t devpts devpts /mnt/root/dev/pts
mount -t tracefs tracefs /mnt/root/sys/kernel/tracing 2>/dev/null
# Multi-threaded TCG does not emulate live code patching reliably: switching
# a tracepoint on rewrites the nop at each of its call sites (text_poke with
# a temporary int3), and a vCPU running that code meanwhile can take a stale
# int3 and oops (seen in __schedule at sched_switch's site). The tracepoints
# uringscope attaches to are switched on here, while nothing else runs, as
# ftrace events with recording off: a BPF program attached later only adds a
# probe to a key that is already on, and no code is patched under load. Real
# hardware patches safely; this is the lab's alone.
t=/mnt/root/sys/kernel/tracing
if [ -w "$t/tracing_on" ]; then
  echo 0 > "$t/tracing_on"
  for e in io_uring sched/sched_switch sched/sched_process_fork sched/sched_process_exit \
           sched/sched_process_exec raw_syscalls; do
    [ -w "$t/events/$e/enable" ] && echo 1 > "$t/events/$e/enable"
  done
fi
mount -t debugfs debugfs /mnt/root/sys/kernel/debug 2>/dev/null
mount -t bpf bpf /mnt/root/sys/fs/bpf 2>/dev/null
mount -t cgroup2 cgroup2 /mnt/root/sys/fs/cgroup 2>/dev/null
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
hostname lab
mkdir -p "/mnt/root$out"
mount -t 9p -o trans=virtio,version=9p2000.L,cache=none out "/mnt/root$out" || fail "cannot mount the results directory"

# The job script lives in the host's /tmp, which is hidden now: copy it over.
cp "/mnt/host$job" /mnt/root/run/lab-job.sh || fail "cannot read the job $job"
echo "lab-init: ready"
chroot /mnt/root /bin/sh /run/lab-job.sh < /dev/console > /dev/console 2>&1
rc=$?
echo "$rc" > "/mnt/root$out/.lab-rc"
sync
poweroff -f
