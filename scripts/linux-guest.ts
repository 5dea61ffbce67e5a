/**
 * `npm run guests:linux`: fetches Debian's i386 kernel (linux-image-6.1.0-*-686)
 * and busybox-static:i386 from the Debian archive with apt, and builds the
 * initramfs with the project's own cpio writer. Output in guests/linux/build/:
 * vmlinuz, initramfs.cpio, and cmdline.txt. /init (scripts/linux/init.sh) prints
 * the boot marker and powers off; with `jit386.workload` added to the command line it
 * first runs user-space work (compression, hashing, text processing).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { S_IFCHR, S_IFDIR, S_IFREG, writeCpio } from "../src/boot/cpio.js";

const root = new URL("../", import.meta.url).pathname;
const out = join(root, "guests/linux/build");
const CMDLINE = "console=ttyS0 noapic nolapic acpi=off tsc=unstable panic=-1 quiet";

function sh(cmd: string, args: string[], cwd?: string): string {
  return execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function ensureI386(): void {
  const arches = sh("dpkg", ["--print-foreign-architectures"]);
  if (!arches.split("\n").includes("i386")) {
    sh("dpkg", ["--add-architecture", "i386"]);
  }
  try {
    sh("apt-get", ["update", "-qq"]);
  } catch {
    // The security suite's i386 index sometimes fails to update; the main archive still works.
  }
}

function newestKernelPackage(): string {
  const list = sh("apt-cache", ["search", "--names-only", "^linux-image-6\\.1\\.0-[0-9]+-686$"]);
  const names = list.split("\n").map((l) => l.split(" ")[0]).filter(Boolean);
  if (!names.length) throw new Error("no linux-image-6.1.0-*-686 package in the apt lists");
  names.sort((a, b) => Number(a.split("-")[3]) - Number(b.split("-")[3]));
  return names[names.length - 1];
}

function main(): void {
  mkdirSync(out, { recursive: true });
  ensureI386();
  const kpkg = newestKernelPackage();
  const work = mkdtempSync(join(tmpdir(), "jit386-linux-"));
  try {
    sh("apt-get", ["download", `${kpkg}:i386`, "busybox-static:i386"], work);
    for (const deb of readdirSync(work).filter((f) => f.endsWith(".deb"))) {
      sh("dpkg-deb", ["-x", deb, "root"], work);
    }
    const boot = join(work, "root/boot");
    const vmlinuz = readdirSync(boot).find((f) => f.startsWith("vmlinuz-"));
    if (!vmlinuz) throw new Error(`${kpkg} has no /boot/vmlinuz-*`);
    writeFileSync(join(out, "vmlinuz"), readFileSync(join(boot, vmlinuz)));
    const busybox = readFileSync(join(work, "root/bin/busybox"));
    const init = readFileSync(join(root, "scripts/linux/init.sh"));
    const dirs = ["bin", "sbin", "usr", "usr/bin", "usr/sbin", "proc", "sys", "dev", "tmp", "root"];
    const cpio = writeCpio([
      ...dirs.map((name) => ({ name, mode: S_IFDIR | 0o755 })),
      { name: "dev/console", mode: S_IFCHR | 0o600, rdevMajor: 5, rdevMinor: 1 },
      { name: "bin/busybox", mode: S_IFREG | 0o755, data: busybox },
      { name: "init", mode: S_IFREG | 0o755, data: init },
    ]);
    writeFileSync(join(out, "initramfs.cpio"), cpio);
    writeFileSync(join(out, "cmdline.txt"), CMDLINE + "\n");
    writeFileSync(join(out, "kernel-package.txt"), kpkg + "\n");
    console.log(`guests/linux/build: ${vmlinuz} from ${kpkg}, initramfs ${cpio.length} bytes`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (!existsSync(join(root, "package.json"))) throw new Error("run from the jit386 checkout");
main();
