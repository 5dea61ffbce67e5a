/**
 * `npm run guests:bios`: fetches Debian's `seabios` package with apt and extracts
 * the firmware jit386 boots disks and CDs with: SeaBIOS for QEMU's i440fx machine
 * (bios-256k.bin) and its VGA BIOSes. Output in guests/bios/build/. The .deb is
 * kept in the download cache ($JIT386_CACHE, else /work/cache when it exists) so
 * later runs need no network.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("../", import.meta.url).pathname;
const out = join(root, "guests/bios/build");
const FILES = ["bios-256k.bin", "vgabios-stdvga.bin", "vgabios-bochs-display.bin"];

function sh(cmd: string, args: string[], cwd?: string): string {
  return execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function cacheDir(): string | undefined {
  const dir = process.env.JIT386_CACHE ?? (existsSync("/work/cache") ? "/work/cache" : undefined);
  if (dir) mkdirSync(dir, { recursive: true });
  return dir;
}

/** The candidate version's .deb, from the cache or downloaded (updating the apt lists once if apt does not know it). */
function fetchDeb(work: string): string {
  const uri = (): string => sh("apt-get", ["download", "--print-uris", "seabios"]).trim();
  let line: string;
  try {
    line = uri();
  } catch {
    sh("apt-get", ["update", "-qq"]);
    line = uri();
  }
  const file = line.split(" ")[1];
  if (!file?.endsWith(".deb")) throw new Error(`apt-get cannot locate the seabios package: ${line}`);
  const cache = cacheDir();
  if (cache && existsSync(join(cache, file))) return join(cache, file);
  sh("apt-get", ["download", "seabios"], work);
  const deb = readdirSync(work).find((f) => f.startsWith("seabios_") && f.endsWith(".deb"));
  if (!deb) throw new Error("apt-get download seabios produced no .deb");
  if (cache) copyFileSync(join(work, deb), join(cache, deb));
  return join(work, deb);
}

function main(): void {
  mkdirSync(out, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), "jit386-bios-"));
  try {
    const deb = fetchDeb(work);
    sh("dpkg-deb", ["-x", deb, "root"], work);
    const from = join(work, "root/usr/share/seabios");
    for (const f of FILES) {
      if (!existsSync(join(from, f))) throw new Error(`${deb} has no /usr/share/seabios/${f}`);
      copyFileSync(join(from, f), join(out, f));
    }
    const version = sh("dpkg-deb", ["-f", deb, "Version"]).trim();
    writeFileSync(join(out, "version.txt"), `seabios ${version}\n`);
    console.log(`guests/bios/build: ${FILES.join(", ")} from seabios ${version}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (!existsSync(join(root, "package.json"))) throw new Error("run from the jit386 checkout");
main();
