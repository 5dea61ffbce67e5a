/** PIIX IDE: the ATA disk and ATAPI CD-ROM protocols through the ports, PIO and bus-master DMA. */
import { describe, expect, it } from "vitest";
import type { DmaBus } from "../../src/cpu/bus.js";
import { AtaDisk } from "../../src/devices/ata.js";
import { AtapiCdrom } from "../../src/devices/atapi.js";
import { type BlockBackend, BlockIoError, MemoryBackend, OverlayBackend } from "../../src/devices/block.js";
import type { IdeDevice } from "../../src/devices/ide.js";
import { PiixIde } from "../../src/devices/piixide.js";
import { IoPortBus } from "../../src/devices/portbus.js";

const P = 0x1f0;
const PCTL = 0x3f6;
const S = 0x170;
const BM = 0xc000;
const ST_ERR = 0x01;
const ST_DRQ = 0x08;
const READY = 0x50;
const ERR_ABRT = 0x04;
const ERR_IDNF = 0x10;
const ERR_UNC = 0x40;

/** Sector `n` of a test image: its number in the first four bytes, then a pattern. */
function sectorOf(n: number, size = 512): Uint8Array {
  const b = new Uint8Array(size);
  new DataView(b.buffer).setUint32(0, n, true);
  for (let k = 4; k < size; k++) b[k] = (n * 7 + k) & 0xff;
  return b;
}

function image(sectors: number, size = 512): Uint8Array {
  const img = new Uint8Array(sectors * size);
  for (let n = 0; n < sectors; n++) img.set(sectorOf(n, size), n * size);
  return img;
}

/** A huge disk whose sectors are generated, for 48-bit addresses. */
class PatternBackend implements BlockBackend {
  readonly sectorSize = 512;
  readonly writable = false;
  constructor(readonly sectors: number) {}
  read(sector: number, out: Uint8Array): void {
    for (let k = 0; k < out.length / 512; k++) out.set(sectorOf(sector + k), k * 512);
  }
  write(): void {
    throw new BlockIoError("read-only");
  }
}

class FailingBackend extends MemoryBackend {
  override read(sector: number, out: Uint8Array): void {
    if (sector === 3) throw new BlockIoError("bad sector");
    super.read(sector, out);
  }
}

function rig(devices: (IdeDevice | undefined)[]) {
  const ports = new IoPortBus();
  const mem = new Uint8Array(1 << 20);
  const dma: DmaBus = {
    readPhysBytes: (pa, out) => out.set(mem.subarray(pa, pa + out.length)),
    writePhysBytes: (pa, data) => mem.set(data, pa),
  };
  const raised = new Map<number, number>();
  const line = new Map<number, boolean>();
  const ide = new PiixIde(ports, dma, devices, (irq, level) => {
    if (level && !line.get(irq)) raised.set(irq, (raised.get(irq) ?? 0) + 1);
    line.set(irq, level);
  });
  ide.config.writeConfig(0x20, 4, BM | 1);
  ide.config.writeConfig(0x04, 2, 0x0005);
  const r = {
    ports,
    mem,
    ide,
    irqs: (irq = 14) => raised.get(irq) ?? 0,
    line: (irq = 14) => line.get(irq) ?? false,
    /** Registers of a 28-bit command, then the command. */
    ata(base: number, command: number, lba = 0, count = 1, device = 0xe0) {
      ports.out8(base + 2, count);
      ports.out8(base + 3, lba & 0xff);
      ports.out8(base + 4, (lba >>> 8) & 0xff);
      ports.out8(base + 5, (lba >>> 16) & 0xff);
      ports.out8(base + 6, device | ((lba >>> 24) & 0x0f));
      ports.out8(base + 7, command);
    },
    /** A 48-bit command: each register written twice, high byte first. */
    ata48(base: number, command: number, lba: number, count: number, device = 0x40) {
      const hi = Math.floor(lba / 2 ** 24);
      ports.out8(base + 2, count >> 8);
      ports.out8(base + 3, hi & 0xff);
      ports.out8(base + 4, (hi >>> 8) & 0xff);
      ports.out8(base + 5, (hi >>> 16) & 0xff);
      ports.out8(base + 2, count & 0xff);
      ports.out8(base + 3, lba & 0xff);
      ports.out8(base + 4, (lba >>> 8) & 0xff);
      ports.out8(base + 5, (lba >>> 16) & 0xff);
      ports.out8(base + 6, device);
      ports.out8(base + 7, command);
    },
    /** Read `bytes` from the data port, a word at a time. */
    readData(base: number, bytes: number): Uint8Array {
      const out = new Uint8Array(bytes);
      for (let k = 0; k < bytes; k += 2) {
        const w = ports.in16(base);
        out[k] = w & 0xff;
        out[k + 1] = w >> 8;
      }
      return out;
    },
    writeData(base: number, data: Uint8Array): void {
      for (let k = 0; k < data.length; k += 2) ports.out16(base, data[k] | (data[k + 1] << 8));
    },
    status: (base: number) => ports.in8(base + 7),
    error: (base: number) => ports.in8(base + 1),
    /** A PRD table at 0x1000 describing `segments` (address, bytes), and the bus master pointed at it. */
    prd(channel: number, segments: [number, number][]) {
      const v = new DataView(mem.buffer);
      segments.forEach(([addr, n], k) => {
        v.setUint32(0x1000 + 8 * k, addr, true);
        v.setUint16(0x1000 + 8 * k + 4, n & 0xffff, true);
        v.setUint16(0x1000 + 8 * k + 6, k === segments.length - 1 ? 0x8000 : 0, true);
      });
      ports.out32(BM + 8 * channel + 4, 0x1000);
    },
    /** ATAPI: PACKET with a byte count limit, then the 12-byte packet. */
    packet(base: number, bytes: number[], limit = 0xfffe, dma = false, device = 0x00) {
      ports.out8(base + 1, dma ? 1 : 0);
      ports.out8(base + 4, limit & 0xff);
      ports.out8(base + 5, limit >> 8);
      ports.out8(base + 6, device);
      ports.out8(base + 7, 0xa0);
      const p = new Uint8Array(12);
      p.set(bytes);
      r.writeData(base, p);
    },
  };
  return r;
}

function identifyWords(data: Uint8Array): Uint16Array {
  return new Uint16Array(data.buffer, data.byteOffset, 256);
}

function ataString(id: Uint16Array, at: number, words: number): string {
  let s = "";
  for (let k = 0; k < words; k++) s += String.fromCharCode(id[at + k] >> 8, id[at + k] & 0xff);
  return s.trim();
}

describe("ATA disk, PIO", () => {
  it("IDENTIFY DEVICE describes the disk, with a valid checksum", () => {
    const r = rig([new AtaDisk(new MemoryBackend(image(4096)))]);
    r.ata(P, 0xec);
    expect(r.irqs()).toBe(1);
    expect(r.status(P) & ST_DRQ).toBe(ST_DRQ);
    const data = r.readData(P, 512);
    const id = identifyWords(data);
    expect(ataString(id, 27, 20)).toBe("jit386 HARDDISK");
    expect(id[60] | (id[61] << 16)).toBe(4096);
    expect(id[100]).toBe(4096);
    expect(id[83] & 0x0400).toBe(0x0400);
    expect(data.reduce((a, b) => a + b, 0) & 0xff).toBe(0);
    expect(r.status(P)).toBe(READY);
  });

  it("READ SECTORS moves each sector as a DRQ block with its own interrupt", () => {
    const r = rig([new AtaDisk(new MemoryBackend(image(64)))]);
    r.ata(P, 0x20, 5, 3);
    for (let n = 5; n < 8; n++) {
      expect(r.irqs()).toBe(n - 4);
      expect(r.status(P)).toBe(READY | ST_DRQ);
      expect(r.line()).toBe(false);
      expect(r.readData(P, 512)).toEqual(sectorOf(n));
    }
    expect(r.status(P)).toBe(READY);
    expect(r.irqs()).toBe(3);
    // The task file holds the last sector read.
    expect(r.ports.in8(P + 3)).toBe(7);
  });

  it("32-bit data port reads are two words", () => {
    const r = rig([new AtaDisk(new MemoryBackend(image(8)))]);
    r.ata(P, 0x20, 2, 1);
    const out = new Uint8Array(512);
    const v = new DataView(out.buffer);
    for (let k = 0; k < 512; k += 4) v.setInt32(k, r.ports.in32(P), true);
    expect(out).toEqual(sectorOf(2));
  });

  it("WRITE SECTORS goes to the overlay; the image stays as it was", () => {
    const base = image(32);
    const before = base.slice();
    const overlay = new OverlayBackend(new MemoryBackend(base, 512, false));
    const r = rig([new AtaDisk(overlay)]);
    r.ata(P, 0x30, 9, 2);
    // The first block is asked for without an interrupt.
    expect(r.irqs()).toBe(0);
    expect(r.status(P)).toBe(READY | ST_DRQ);
    r.writeData(P, sectorOf(100));
    expect(r.irqs()).toBe(1);
    // Reading the status acknowledges the interrupt, so the next one is a new edge.
    expect(r.status(P)).toBe(READY | ST_DRQ);
    r.writeData(P, sectorOf(101));
    expect(r.irqs()).toBe(2);
    expect(r.status(P)).toBe(READY);
    expect(base).toEqual(before);
    expect([...overlay.written.keys()]).toEqual([9, 10]);
    r.ata(P, 0x20, 8, 3);
    expect(r.readData(P, 512)).toEqual(sectorOf(8));
    expect(r.readData(P, 512)).toEqual(sectorOf(100));
    expect(r.readData(P, 512)).toEqual(sectorOf(101));
  });

  it("READ MULTIPLE moves SET MULTIPLE MODE's block of sectors per interrupt", () => {
    const r = rig([new AtaDisk(new MemoryBackend(image(64)))]);
    r.ata(P, 0xc4, 0, 4);
    expect(r.status(P)).toBe(READY | ST_ERR);
    expect(r.error(P)).toBe(ERR_ABRT);
    r.ata(P, 0xc6, 0, 4);
    expect(r.status(P)).toBe(READY);
    const irqs = r.irqs();
    r.ata(P, 0xc4, 10, 8);
    expect(r.status(P)).toBe(READY | ST_DRQ);
    expect(r.readData(P, 2048).subarray(1536)).toEqual(sectorOf(13));
    expect(r.irqs()).toBe(irqs + 2);
    expect(r.status(P)).toBe(READY | ST_DRQ);
    expect(r.readData(P, 2048).subarray(0, 512)).toEqual(sectorOf(14));
    expect(r.status(P)).toBe(READY);
  });

  it("48-bit commands reach sectors past 2^28; HOB reads back the high bytes", () => {
    const disk = new AtaDisk(new PatternBackend(2 ** 34));
    const r = rig([disk]);
    const lba = 0x1_2345_6789;
    r.ata48(P, 0x24, lba, 2);
    expect(r.readData(P, 512)).toEqual(sectorOf(lba));
    expect(r.readData(P, 512)).toEqual(sectorOf(lba + 1));
    r.ports.out8(PCTL, 0x80);
    expect(r.ports.in8(P + 3)).toBe(0x23);
    expect(r.ports.in8(P + 4)).toBe(0x01);
    r.ports.out8(PCTL, 0x00);
    // The 28-bit command reaches only the low 28 bits of the address.
    r.ata(P, 0x20, 0x0abcdef0, 1);
    expect(r.readData(P, 512)).toEqual(sectorOf(0x0abcdef0));
    r.ata(P, 0xec);
    const id = identifyWords(r.readData(P, 512));
    expect(id[60] | (id[61] << 16)).toBe(0x0fffffff);
    expect(id[100] + id[101] * 0x10000 + id[102] * 2 ** 32).toBe(2 ** 34);
  });

  it("CHS addresses use the geometry INITIALIZE DEVICE PARAMETERS set", () => {
    const r = rig([new AtaDisk(new MemoryBackend(image(2048)))]);
    // 4 heads, 16 sectors per track.
    r.ata(P, 0x91, 0, 16, 0xa3);
    expect(r.status(P)).toBe(READY);
    // Cylinder 2, head 1, sector 5: (2 * 4 + 1) * 16 + 4 = 148.
    r.ports.out8(P + 2, 1);
    r.ports.out8(P + 3, 5);
    r.ports.out8(P + 4, 2);
    r.ports.out8(P + 5, 0);
    r.ports.out8(P + 6, 0xa1);
    r.ports.out8(P + 7, 0x20);
    expect(r.readData(P, 512)).toEqual(sectorOf(148));
  });

  it("sectors past the end fail with IDNF as a drive does, before any data moves", () => {
    const r = rig([new AtaDisk(new MemoryBackend(image(100)))]);
    r.ata(P, 0x20, 99, 2);
    expect(r.status(P)).toBe(READY | ST_ERR);
    expect(r.error(P)).toBe(ERR_IDNF);
    expect(r.irqs()).toBe(1);
    expect(r.ports.in8(P + 3)).toBe(100);
    r.ata48(P, 0x34, 2 ** 40, 1);
    expect(r.status(P)).toBe(READY | ST_ERR);
    expect(r.error(P)).toBe(ERR_IDNF);
    r.ata(P, 0xc8, 1000, 1);
    expect(r.status(P)).toBe(READY | ST_ERR);
    // The next command works.
    r.ata(P, 0x20, 98, 1);
    expect(r.readData(P, 512)).toEqual(sectorOf(98));
    expect(r.status(P)).toBe(READY);
  });

  it("a host read error is a medium error (UNC) at the failing sector", () => {
    const r = rig([new AtaDisk(new FailingBackend(image(8)))]);
    r.ata(P, 0x20, 1, 4);
    r.readData(P, 512);
    r.readData(P, 512);
    expect(r.status(P)).toBe(READY | ST_ERR);
    expect(r.error(P)).toBe(ERR_UNC);
    expect(r.ports.in8(P + 3)).toBe(3);
  });

  it("unknown commands abort; an absent slave reads status 0; an empty channel floats", () => {
    const r = rig([new AtaDisk(new MemoryBackend(image(8)))]);
    r.ata(P, 0xb0);
    expect(r.status(P)).toBe(READY | ST_ERR);
    expect(r.error(P)).toBe(ERR_ABRT);
    r.ata(P, 0xec, 0, 1, 0xf0);
    expect(r.status(P)).toBe(0);
    expect(r.ports.in8(S + 7)).toBe(0xff);
    expect(r.ports.in16(S)).toBe(0xffff);
  });

  it("software reset puts the signatures of both kinds of device in the task file", () => {
    const r = rig([new AtaDisk(new MemoryBackend(image(8))), undefined, new AtapiCdrom(undefined)]);
    for (const [base, ctl, mid, high] of [
      [P, PCTL, 0x00, 0x00],
      [S, 0x376, 0x14, 0xeb],
    ]) {
      r.ports.out8(base + 4, 0x55);
      r.ports.out8(ctl, 0x04);
      expect(r.ports.in8(ctl) & 0x80).toBe(0x80);
      r.ports.out8(ctl, 0x00);
      expect([r.ports.in8(base + 2), r.ports.in8(base + 3), r.ports.in8(base + 4), r.ports.in8(base + 5)]).toEqual([1, 1, mid, high]);
      expect(r.error(base)).toBe(1);
    }
    expect(r.status(P)).toBe(READY);
  });
});

describe("ATA disk, bus-master DMA", () => {
  it("READ DMA fills memory through a two-entry PRD table and interrupts once", () => {
    const r = rig([new AtaDisk(new MemoryBackend(image(64)))]);
    r.prd(0, [
      [0x10000, 1024],
      [0x20000, 1024],
    ]);
    r.ata(P, 0xc8, 20, 4);
    expect(r.irqs()).toBe(0);
    r.ports.out8(BM, 0x09);
    expect(r.irqs()).toBe(1);
    expect(r.ports.in8(BM + 2) & 0x07).toBe(0x04);
    expect(r.mem.subarray(0x10000, 0x10200)).toEqual(sectorOf(20));
    expect(r.mem.subarray(0x10200, 0x10400)).toEqual(sectorOf(21));
    expect(r.mem.subarray(0x20000, 0x20200)).toEqual(sectorOf(22));
    expect(r.mem.subarray(0x20200, 0x20400)).toEqual(sectorOf(23));
    expect(r.status(P)).toBe(READY);
    // Acknowledge: clear the interrupt bit by writing one.
    r.ports.out8(BM + 2, 0x04);
    r.ports.out8(BM, 0x00);
    expect(r.ports.in8(BM + 2) & 0x07).toBe(0);
  });

  it("WRITE DMA EXT takes memory to the disk, with the bus master started first", () => {
    const base = image(64);
    const r = rig([new AtaDisk(new MemoryBackend(base))]);
    r.mem.set(sectorOf(500), 0x30000);
    r.mem.set(sectorOf(501), 0x30200);
    r.prd(0, [[0x30000, 1024]]);
    r.ports.out8(BM, 0x01);
    expect(r.ports.in8(BM + 2) & 1).toBe(1);
    r.ata48(P, 0x35, 40, 2);
    expect(r.irqs()).toBe(1);
    expect(base.subarray(40 * 512, 42 * 512)).toEqual(new Uint8Array([...sectorOf(500), ...sectorOf(501)]));
    expect(r.ports.in8(BM + 2) & 0x07).toBe(0x04);
  });

  it("a PRD table longer than the transfer leaves the bus master active; a shorter one is an error", () => {
    const r = rig([new AtaDisk(new MemoryBackend(image(64)))]);
    r.prd(0, [[0x10000, 4096]]);
    r.ata(P, 0xc8, 0, 2);
    r.ports.out8(BM, 0x09);
    expect(r.ports.in8(BM + 2) & 0x07).toBe(0x05);
    r.ports.out8(BM, 0x00);
    r.ports.out8(BM + 2, 0x06);
    r.prd(0, [[0x10000, 512]]);
    r.ata(P, 0xc8, 0, 2);
    r.ports.out8(BM, 0x09);
    expect(r.ports.in8(BM + 2) & 0x07).toBe(0x06);
    expect(r.status(P) & ST_ERR).toBe(ST_ERR);
  });

  it("the bus-master ports follow BAR4 and the I/O enable bit", () => {
    const r = rig([new AtaDisk(new MemoryBackend(image(8)))]);
    r.ports.out32(BM + 4, 0x1234);
    expect(r.ports.in32(BM + 4)).toBe(0x1234);
    r.ide.config.writeConfig(0x20, 4, 0xd001);
    expect(r.ports.in32(BM + 4)).toBe(-1);
    expect(r.ports.in32(0xd004)).toBe(0x1234);
    r.ide.config.writeConfig(0x04, 2, 0);
    expect(r.ports.in32(0xd004)).toBe(-1);
    r.ide.config.writeConfig(0x20, 4, 0xffffffff);
    expect(r.ide.config.readConfig(0x20, 4) >>> 0).toBe(0xfffffff1);
  });
});

describe("ATAPI CD-ROM", () => {
  const cd = () => new AtapiCdrom(new MemoryBackend(image(40, 2048), 2048, false));

  it("IDENTIFY DEVICE aborts with the ATAPI signature; IDENTIFY PACKET DEVICE answers", () => {
    const r = rig([undefined, undefined, cd()]);
    r.ata(S, 0xec, 0, 1, 0xa0);
    expect(r.status(S)).toBe(READY | ST_ERR);
    expect([r.ports.in8(S + 4), r.ports.in8(S + 5)]).toEqual([0x14, 0xeb]);
    r.ata(S, 0xa1, 0, 1, 0xa0);
    const id = identifyWords(r.readData(S, 512));
    expect(id[0]).toBe(0x85c0);
    expect(ataString(id, 27, 20)).toBe("jit386 DVD-ROM");
  });

  it("READ(10) by PIO comes in blocks of the byte count limit, each announced in the cylinder registers", () => {
    const r = rig([undefined, undefined, cd()]);
    r.packet(S, [0x28, 0, 0, 0, 0, 7, 0, 0, 3], 2048);
    for (let n = 7; n < 10; n++) {
      expect(r.status(S)).toBe(READY | ST_DRQ);
      expect(r.ports.in8(S + 2)).toBe(0x02);
      expect(r.ports.in8(S + 4) | (r.ports.in8(S + 5) << 8)).toBe(2048);
      expect(r.readData(S, 2048)).toEqual(sectorOf(n, 2048));
    }
    expect(r.status(S)).toBe(READY);
    expect(r.ports.in8(S + 2)).toBe(0x03);
    expect(r.irqs(15)).toBe(4);
  });

  it("INQUIRY and READ CAPACITY", () => {
    const r = rig([undefined, undefined, cd()]);
    r.packet(S, [0x12, 0, 0, 0, 36]);
    const inq = r.readData(S, 36);
    expect(inq[0]).toBe(0x05);
    expect(inq[1]).toBe(0x80);
    expect(new TextDecoder().decode(inq.subarray(8, 16)).trim()).toBe("JIT386");
    r.packet(S, [0x25]);
    const cap = new DataView(r.readData(S, 8).buffer);
    expect(cap.getUint32(0)).toBe(39);
    expect(cap.getUint32(4)).toBe(2048);
  });

  it("errors are CHECK CONDITION with sense data: LBA out of range, no medium, unknown command", () => {
    const r = rig([undefined, undefined, cd(), new AtapiCdrom(undefined)]);
    r.packet(S, [0x28, 0, 0, 0, 0, 39, 0, 0, 2]);
    expect(r.status(S)).toBe(READY | ST_ERR);
    expect(r.error(S)).toBe(0x54);
    r.packet(S, [0x03, 0, 0, 0, 18]);
    const sense = r.readData(S, 18);
    expect([sense[2], sense[12]]).toEqual([0x05, 0x21]);
    r.packet(S, [0xff]);
    expect(r.error(S)).toBe(0x54);
    r.packet(S, [0x03, 0, 0, 0, 18]);
    expect(r.readData(S, 18)[12]).toBe(0x20);
    // The slave has no disc.
    r.packet(S, [0x00], 0xfffe, false, 0x10);
    expect(r.error(S)).toBe(0x24);
    r.packet(S, [0x03, 0, 0, 0, 18], 0xfffe, false, 0x10);
    const none = r.readData(S, 18);
    expect([none[2], none[12]]).toEqual([0x02, 0x3a]);
  });

  it("READ(12) by DMA", () => {
    const r = rig([undefined, undefined, cd()]);
    r.prd(1, [[0x40000, 4096]]);
    r.ports.out8(BM + 8, 0x09);
    r.packet(S, [0xa8, 0, 0, 0, 0, 30, 0, 0, 0, 2], 0xfffe, true);
    expect(r.mem.subarray(0x40000, 0x40800)).toEqual(sectorOf(30, 2048));
    expect(r.mem.subarray(0x40800, 0x41000)).toEqual(sectorOf(31, 2048));
    expect(r.status(S)).toBe(READY);
    expect(r.ports.in8(S + 2)).toBe(0x03);
    expect(r.ports.in8(BM + 10) & 0x07).toBe(0x04);
  });

  it("READ TOC describes one data track and the lead-out", () => {
    const r = rig([undefined, undefined, cd()]);
    r.packet(S, [0x43, 0, 0, 0, 0, 0, 0, 0, 20]);
    const toc = r.readData(S, 20);
    const v = new DataView(toc.buffer);
    expect(v.getUint16(0)).toBe(18);
    expect([toc[2], toc[3], toc[6], toc[14]]).toEqual([1, 1, 1, 0xaa]);
    expect(v.getUint32(16)).toBe(40);
  });
});

describe("overlay backend", () => {
  it("reads written sectors from the map and the rest from the base, in runs", () => {
    const base = new MemoryBackend(image(16), 512, false);
    const reads: [number, number][] = [];
    const spy: BlockBackend = {
      sectorSize: 512,
      sectors: 16,
      writable: false,
      read: (s, out) => {
        reads.push([s, out.length / 512]);
        base.read(s, out);
      },
      write: () => {},
    };
    const o = new OverlayBackend(spy);
    o.write(5, sectorOf(99));
    const out = new Uint8Array(512 * 8);
    o.read(2, out);
    expect(reads).toEqual([
      [2, 3],
      [6, 4],
    ]);
    expect(out.subarray(3 * 512, 4 * 512)).toEqual(sectorOf(99));
    expect(out.subarray(0, 512)).toEqual(sectorOf(2));
  });
});
