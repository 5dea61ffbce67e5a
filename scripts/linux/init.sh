#!/bin/busybox sh
# /init of jit386's Linux test guest: print a marker, run a fixed workload whose
# result the host can check, power off.
/bin/busybox --install -s /bin
mount -t proc proc /proc
echo "JIT386-MARKER: userspace reached"
echo "JIT386-KERNEL: $(uname -r)"
echo "JIT386-MD5: $(seq 1 20000 | md5sum)"
echo "JIT386-DONE"
poweroff -f
