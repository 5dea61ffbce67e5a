/**
 * `npm run guests:bios`: fetches Debian's `seabios` and `memtest86+` packages with
 * apt and extracts the firmware jit386 boots disks and CDs with (SeaBIOS for
 * QEMU's i440fx machine, bios-256k.bin, and its VGA BIOSes) and memtest86+'s
 * 32-bit image, a PC guest for test-guests/. Output in guests/bios/build/. The
 * .debs are kept in the download cache ($JIT386_CACHE, else /work/cache when it
 * exists) so later runs need no network.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("../", import.meta.url).pathname;
const out = join(root, "guests/bios/build");
/** What is taken from each package: the folder inside the .deb and the files copied out of it. */
const PACKAGES: { name: string; dir: string; files: string[] }[] = [
  { name: "seabios", dir: "usr/share/seabios", files: ["bios-256k.bin", "vgabios-stdvga.bin", "vgabios-bochs-display.bin"] },
  { name: "memtest86+", dir: "boot", files: ["memtest86+ia32.bin"] },
];

function sh(cmd: string, args: string[], cwd?: string): string {
  return execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function cacheDir(): string | undefined {
  const dir = process.env.JIT386_CACHE ?? (existsSync("/work/cache") ? "/work/cache" : undefined);
  if (dir) mkdirSync(dir, { recursive: true });
  return dir;
}

/** The candidate version's .deb, from the cache or downloaded (updating the apt lists once if apt does not know it). */
function fetchDeb(pkg: string, work: string): string {
  const uri = (): string => sh("apt-get", ["download", "--print-uris", pkg]).trim();
  let line: string;
  try {
    line = uri();
  } catch {
    sh("apt-get", ["update", "-qq"]);
    line = uri();
  }
  const file = line.split(" ")[1];
  if (!file?.endsWith(".deb")) throw new Error(`apt-get cannot locate the ${pkg} package: ${line}`);
  const cache = cacheDir();
  if (cache && existsSync(join(cache, file))) return join(cache, file);
  sh("apt-get", ["download", pkg], work);
  const deb = readdirSync(work).find((f) => f.startsWith(`${pkg}_`) && f.endsWith(".deb"));
  if (!deb) throw new Error(`apt-get download ${pkg} produced no .deb`);
  if (cache) copyFileSync(join(work, deb), join(cache, deb));
  return join(work, deb);
}

function main(): void {
  mkdirSync(out, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), "jit386-bios-"));
  try {
    let versions = "";
    for (const pkg of PACKAGES) {
      const deb = fetchDeb(pkg.name, work);
      const root = join(work, pkg.name);
      sh("dpkg-deb", ["-x", deb, root]);
      for (const f of pkg.files) {
        if (!existsSync(join(root, pkg.dir, f))) throw new Error(`${deb} has no /${pkg.dir}/${f}`);
        copyFileSync(join(root, pkg.dir, f), join(out, f));
      }
      const version = sh("dpkg-deb", ["-f", deb, "Version"]).trim();
      versions += `${pkg.name} ${version}\n`;
      console.log(`guests/bios/build: ${pkg.files.join(", ")} from ${pkg.name} ${version}`);
    }
    writeFileSync(join(out, "version.txt"), versions);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (!existsSync(join(root, "package.json"))) throw new Error("run from the jit386 checkout");
main();
