#!/bin/busybox sh
# /init of jit386's Linux test guest: print a marker, run a fixed workload whose
# result the host can check, power off. With jit386.workload on the kernel command
# line, user-space work follows the marker (compression, hashing, text processing on
# deterministic data), between JIT386-WORK-START and JIT386-WORK-DONE.
/bin/busybox --install -s /bin
mount -t proc proc /proc
echo "JIT386-MARKER: userspace reached"
echo "JIT386-KERNEL: $(uname -r)"
echo "JIT386-MD5: $(seq 1 20000 | md5sum)"
if grep -q jit386.workload /proc/cmdline; then
  echo "JIT386-WORK-START"
  seq 1 30000 > /tmp/nums
  echo "JIT386-SHA256: $(sha256sum < /tmp/nums)"
  gzip -c /tmp/nums > /tmp/nums.gz
  echo "JIT386-GZIP-BYTES: $(wc -c < /tmp/nums.gz)"
  echo "JIT386-GUNZIP-SHA256: $(gunzip -c /tmp/nums.gz | sha256sum)"
  echo "JIT386-AWK-SORT-MD5: $(awk '{ print ($1 * 7919) % 100003 }' /tmp/nums | sort -n | md5sum)"
  echo "JIT386-AWK-SUM: $(awk '{ s += $1 % 1000 } END { print s }' /tmp/nums)"
  echo "JIT386-WORK-DONE"
fi
echo "JIT386-DONE"
poweroff -f
