/** Reading a guest image from disk and telling what kind it is. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { findMultibootHeader } from "../src/boot/multiboot.js";
import { UsageError } from "./errors.js";

export type ImageKind = "multiboot";

/** The built-in guest `jit386 run` starts when no image is given. */
export const DEFAULT_GUEST = fileURLToPath(new URL("../guests/default/default.bin", import.meta.url));

export function readImage(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : code === "EACCES" ? "permission denied" : String(code ?? e);
    throw new UsageError(`cannot read '${path}': ${why}`);
  }
}

export function detectImage(path: string, image: Uint8Array): ImageKind {
  if (image.length === 0) throw new UsageError(`'${path}' is empty`);
  if (findMultibootHeader(image)) return "multiboot";
  throw new UsageError(`'${path}' is not a guest image jit386 can boot (no multiboot header)`);
}
