/** Minimal ELF32 reader for i386 executables: the loadable segments and the entry point. */
import { BootError } from "./errors.js";

export interface LoadSegment {
  /** Physical load address (p_paddr). */
  paddr: number;
  /** The address the code sees (p_vaddr). */
  vaddr: number;
  /** p_flags: PF_X 1, PF_W 2, PF_R 4. */
  flags: number;
  fileOffset: number;
  fileSize: number;
  memSize: number;
}

export interface ElfImage {
  entry: number;
  segments: LoadSegment[];
}

/** p_flags bit: the segment holds code. */
export const PF_X = 1;

export function isElf(image: Uint8Array): boolean {
  return image.length >= 4 && image[0] === 0x7f && image[1] === 0x45 && image[2] === 0x4c && image[3] === 0x46;
}

export function parseElf32(image: Uint8Array): ElfImage {
  if (image.length < 52) throw new BootError("truncated ELF file: header incomplete");
  const dv = new DataView(image.buffer, image.byteOffset, image.byteLength);
  if (image[4] !== 1) throw new BootError("unsupported ELF file: not 32-bit (ELFCLASS32)");
  if (image[5] !== 1) throw new BootError("unsupported ELF file: not little-endian");
  const type = dv.getUint16(16, true);
  const machine = dv.getUint16(18, true);
  if (machine !== 3) throw new BootError(`unsupported ELF file: machine ${machine} is not i386`);
  if (type !== 2) throw new BootError(`unsupported ELF file: type ${type} is not an executable`);
  const entry = dv.getUint32(24, true);
  const phoff = dv.getUint32(28, true);
  const phentsize = dv.getUint16(42, true);
  const phnum = dv.getUint16(44, true);
  if (phnum === 0) throw new BootError("ELF file has no program headers");
  if (phentsize < 32 || phoff + phnum * phentsize > image.length) {
    throw new BootError("truncated ELF file: program headers extend past the end of the file");
  }
  const segments: LoadSegment[] = [];
  for (let k = 0; k < phnum; k++) {
    const p = phoff + k * phentsize;
    if (dv.getUint32(p, true) !== 1) continue; // PT_LOAD only
    const fileOffset = dv.getUint32(p + 4, true);
    const vaddr = dv.getUint32(p + 8, true);
    const paddr = dv.getUint32(p + 12, true);
    const fileSize = dv.getUint32(p + 16, true);
    const memSize = dv.getUint32(p + 20, true);
    const flags = dv.getUint32(p + 24, true);
    if (fileOffset + fileSize > image.length) {
      throw new BootError(`truncated ELF file: segment ${k} needs bytes up to ${fileOffset + fileSize}, file has ${image.length}`);
    }
    if (memSize < fileSize) throw new BootError(`malformed ELF file: segment ${k} memory size is smaller than its file size`);
    segments.push({ paddr, vaddr, flags, fileOffset, fileSize, memSize });
  }
  if (segments.length === 0) throw new BootError("ELF file has no loadable segments");
  return { entry, segments };
}
