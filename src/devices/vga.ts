/**
 * A VGA with Bochs VBE extensions, as QEMU's "stdvga": the VGA registers at
 * 0x3B4–0x3DA (misc output, sequencer, CRTC, graphics and attribute
 * controllers, DAC, input status), the legacy memory window 0xA0000–0xBFFFF
 * (a register window on the CPU, so accesses there never take RAM's fast
 * paths) and the DISPI registers at 0x1CE/0x1CF ("Display" in ARCHITECTURE.md).
 *
 * Video memory is one array: VGA plane p of byte offset i lives at vram[4i + p],
 * so chain-4 (mode 13h) and the VBE linear framebuffer address it as plain bytes,
 * and a text cell's character and attribute (planes 0 and 1) share a dword with
 * its font plane (plane 2).
 */
import type { MmioDevice } from "../cpu/bus.js";
import type { PortDevice } from "./portbus.js";
import type { StateTable } from "./state.js";

export const VRAM_BYTES = 16 << 20;
export const DISPI_INDEX_PORT = 0x1ce;
export const DISPI_DATA_PORT = 0x1cf;

/** Sequencer register 4 (memory mode): chain 4, odd/even disabled. */
const SR4_CHAIN4 = 0x08;
const SR4_NO_ODD_EVEN = 0x04;
/** Graphics controller mode register (5): read mode 1, host odd/even. */
const GR5_READ_COMPARE = 0x08;
const GR5_ODD_EVEN = 0x10;

/** DISPI register indices (Bochs VBE). */
export const enum Dispi {
  ID = 0,
  XRES = 1,
  YRES = 2,
  BPP = 3,
  ENABLE = 4,
  BANK = 5,
  VIRT_WIDTH = 6,
  VIRT_HEIGHT = 7,
  X_OFFSET = 8,
  Y_OFFSET = 9,
  VIDEO_MEMORY_64K = 10,
}
const DISPI_REGS = 11;
const DISPI_ID5 = 0xb0c5;
const DISPI_ID0 = 0xb0c0;
export const DISPI_ENABLED = 0x01;
const DISPI_GETCAPS = 0x02;
export const DISPI_8BIT_DAC = 0x20;
const DISPI_NOCLEARMEM = 0x80;
const DISPI_MAX_XRES = 2560;
const DISPI_MAX_YRES = 1600;
const DISPI_MAX_BPP = 32;
const BPPS = [4, 8, 15, 16, 24, 32];

/** The window's base in the physical space for each memory map (GR6 bits 2–3), and its size. */
const MAP_BASE = [0x00000, 0x00000, 0x10000, 0x18000];
const MAP_SIZE = [0x20000, 0x10000, 0x08000, 0x08000];

/** Registers writable by the guest: the sequencer's, CRTC's, graphics' and attribute controller's count. */
const SEQ_REGS = 8;
const CRTC_REGS = 0x19;
const GFX_REGS = 9;
const ATTR_REGS = 0x15;

export class Vga implements PortDevice {
  static readonly STATE: StateTable = {
    fields: ["vram", "misc", "seqIndex", "seq", "crtcIndex", "crtc", "gfxIndex", "gfx", "attrIndex", "attrData", "attr", "dac", "dacWrite", "dacRead", "dacStep", "dacReading", "pelMask", "latch", "retrace", "dispiIndex", "dispi", "dirty"],
    wiring: ["vram32", "window", "linear"],
  };
  readonly vram = new Uint8Array(VRAM_BYTES);
  private readonly vram32 = new Uint32Array(this.vram.buffer);
  misc = 0;
  seqIndex = 0;
  readonly seq = new Uint8Array(SEQ_REGS);
  crtcIndex = 0;
  readonly crtc = new Uint8Array(CRTC_REGS);
  gfxIndex = 0;
  readonly gfx = new Uint8Array(GFX_REGS);
  /** Attribute controller index, with the palette address source in bit 5. */
  attrIndex = 0;
  /** The attribute port's flip-flop: false expects an index, true data. */
  attrData = false;
  readonly attr = new Uint8Array(ATTR_REGS);
  /** The DAC: 256 entries of red, green, blue (6 bits, or 8 with the VBE 8-bit DAC). */
  readonly dac = new Uint8Array(768);
  dacWrite = 0;
  dacRead = 0;
  /** Which of red, green, blue the next data access is, and whether the last index set was for reading. */
  dacStep = 0;
  dacReading = false;
  pelMask = 0xff;
  /** The four planes' bytes loaded by the last read in planar modes. */
  latch = 0;
  /** Input status 1 toggles retrace at every read, so waiting loops end at the same instruction in both engines. */
  retrace = 0;
  dispiIndex = 0;
  readonly dispi = new Uint16Array(DISPI_REGS);
  /** Set when anything shown may have changed (the terminal display polls it). */
  dirty = true;

  constructor() {
    this.reset();
  }

  reset(): void {
    this.misc = 0;
    this.seq.fill(0);
    this.crtc.fill(0);
    this.gfx.fill(0);
    this.attr.fill(0);
    this.attrIndex = 0;
    this.attrData = false;
    this.pelMask = 0xff;
    this.latch = 0;
    this.dispi.fill(0);
    this.dispi[Dispi.ID] = DISPI_ID5;
    this.dispi[Dispi.BPP] = 8;
    this.dispi[Dispi.VIDEO_MEMORY_64K] = VRAM_BYTES >>> 16;
    this.dirty = true;
  }

  /** The memory window at 0xA0000 (Cpu.mapMmio, 128 KiB). */
  readonly window: MmioDevice = {
    mmioRead: (offset, size) => {
      let v = 0;
      for (let k = 0; k < size; k++) v |= this.readByte(offset + k) << (8 * k);
      return v;
    },
    mmioWrite: (offset, size, value) => {
      for (let k = 0; k < size; k++) this.writeByte(offset + k, (value >>> (8 * k)) & 0xff);
    },
  };

  /** The linear framebuffer behind the PCI BAR: video memory as plain bytes. */
  readonly linear: MmioDevice = {
    mmioRead: (offset, size) => {
      const v = this.vram;
      if (offset + size > VRAM_BYTES) return size === 4 ? -1 : (1 << (8 * size)) - 1;
      if (size === 1) return v[offset];
      if (size === 2) return v[offset] | (v[offset + 1] << 8);
      return v[offset] | (v[offset + 1] << 8) | (v[offset + 2] << 16) | (v[offset + 3] << 24);
    },
    mmioWrite: (offset, size, value) => {
      if (offset + size > VRAM_BYTES) return;
      for (let k = 0; k < size; k++) this.vram[offset + k] = value >>> (8 * k);
      this.dirty = true;
    },
  };

  get vbeEnabled(): boolean {
    return (this.dispi[Dispi.ENABLE] & DISPI_ENABLED) !== 0;
  }

  /** The CRTC answers at 0x3D4 with misc output bit 0 set (colour), else at 0x3B4. */
  private get colour(): boolean {
    return (this.misc & 1) !== 0;
  }

  /** Offset in the window → offset in the selected map, or -1 outside it. */
  private mapped(offset: number): number {
    const map = (this.gfx[6] >> 2) & 3;
    const at = offset - MAP_BASE[map];
    return at >= 0 && at < MAP_SIZE[map] ? at : -1;
  }

  /** A read of the window: what the CPU gets, loading the latches in planar modes unless `peek`. */
  readByte(offset: number, peek = false): number {
    if (this.vbeEnabled) {
      if (offset >= 0x10000) return 0xff;
      return this.vram[((this.dispi[Dispi.BANK] << 16) + offset) % VRAM_BYTES];
    }
    const a = this.mapped(offset);
    if (a < 0) return 0xff;
    const sr4 = this.seq[4];
    if (sr4 & SR4_CHAIN4) return this.vram[a];
    if (this.gfx[5] & GR5_ODD_EVEN) {
      const plane = (this.gfx[4] & 2) | (a & 1);
      return this.vram[((a >>> 1) << 2) | plane];
    }
    const latch = this.vram32[a];
    if (!peek) this.latch = latch;
    if (!(this.gfx[5] & GR5_READ_COMPARE)) return (latch >>> (8 * (this.gfx[4] & 3))) & 0xff;
    // Read mode 1: a bit is set where every plane the don't-care mask keeps matches the colour compare value.
    let diff = 0;
    for (let p = 0; p < 4; p++) {
      if (!((this.gfx[7] >> p) & 1)) continue;
      const want = (this.gfx[2] >> p) & 1 ? 0xff : 0;
      diff |= ((latch >>> (8 * p)) & 0xff) ^ want;
    }
    return ~diff & 0xff;
  }

  writeByte(offset: number, v: number): void {
    this.dirty = true;
    if (this.vbeEnabled) {
      if (offset < 0x10000) this.vram[((this.dispi[Dispi.BANK] << 16) + offset) % VRAM_BYTES] = v;
      return;
    }
    const a = this.mapped(offset);
    if (a < 0) return;
    const mapMask = this.seq[2] & 0xf;
    const sr4 = this.seq[4];
    if (sr4 & SR4_CHAIN4) {
      if (mapMask & (1 << (a & 3))) this.vram[a] = v;
      return;
    }
    if (!(sr4 & SR4_NO_ODD_EVEN)) {
      const plane = a & 1;
      if (mapMask & (1 << plane)) this.vram[((a >>> 1) << 2) | plane] = v;
      return;
    }
    this.vram32[a] = (this.vram32[a] & ~planeMask(mapMask)) | (this.planarValue(v) & planeMask(mapMask));
  }

  /** The four planes' bytes a planar write produces (write modes 0–3, before the map mask). */
  private planarValue(v: number): number {
    const g = this.gfx;
    const mode = g[5] & 3;
    if (mode === 1) return this.latch;
    const rotate = g[3] & 7;
    let bitMask = g[8];
    let planes: number;
    if (mode === 2) {
      planes = expand(v & 0xf);
    } else {
      const r = ((v >>> rotate) | (v << (8 - rotate))) & 0xff;
      if (mode === 3) {
        bitMask &= r;
        planes = expand(g[0] & 0xf);
      } else {
        const sr = expand(g[0] & 0xf);
        const en = expand(g[1] & 0xf);
        planes = (sr & en) | (r * 0x01010101 & ~en);
      }
    }
    const latch = this.latch;
    switch ((g[3] >> 3) & 3) {
      case 1:
        planes &= latch;
        break;
      case 2:
        planes |= latch;
        break;
      case 3:
        planes ^= latch;
        break;
    }
    const m = bitMask * 0x01010101;
    return ((planes & m) | (latch & ~m)) >>> 0;
  }

  // ---- ports ------------------------------------------------------------

  read8(port: number): number {
    switch (port) {
      case 0x3c0:
        return this.attrIndex;
      case 0x3c1:
        return this.attr[this.attrIndex & 0x1f] ?? 0;
      case 0x3c2:
        // Input status 0: the monitor sense line reads high (a colour monitor).
        return 0x10;
      case 0x3c3:
        return 1;
      case 0x3c4:
        return this.seqIndex;
      case 0x3c5:
        return this.seq[this.seqIndex] ?? 0xff;
      case 0x3c6:
        return this.pelMask;
      case 0x3c7:
        return this.dacReading ? 3 : 0;
      case 0x3c8:
        return this.dacWrite;
      case 0x3c9:
        return this.readDac();
      case 0x3ca:
        return 0;
      case 0x3cc:
        return this.misc;
      case 0x3ce:
        return this.gfxIndex;
      case 0x3cf:
        return this.gfx[this.gfxIndex] ?? 0xff;
    }
    if (port === (this.colour ? 0x3d4 : 0x3b4)) return this.crtcIndex;
    if (port === (this.colour ? 0x3d5 : 0x3b5)) return this.crtc[this.crtcIndex] ?? 0xff;
    if (port === (this.colour ? 0x3da : 0x3ba)) {
      this.attrData = false;
      // Display enable (bit 0) and vertical retrace (bit 3) alternate read by read.
      this.retrace ^= 0x09;
      return this.retrace;
    }
    return 0xff;
  }

  write8(port: number, v: number): void {
    this.dirty = true;
    switch (port) {
      case 0x3c0:
        if (!this.attrData) this.attrIndex = v & 0x3f;
        else if ((this.attrIndex & 0x1f) < ATTR_REGS) this.attr[this.attrIndex & 0x1f] = v;
        this.attrData = !this.attrData;
        return;
      case 0x3c2:
        this.misc = v;
        return;
      case 0x3c4:
        this.seqIndex = v & 7;
        return;
      case 0x3c5:
        this.seq[this.seqIndex] = v;
        return;
      case 0x3c6:
        this.pelMask = v;
        return;
      case 0x3c7:
        this.dacRead = v;
        this.dacStep = 0;
        this.dacReading = true;
        return;
      case 0x3c8:
        this.dacWrite = v;
        this.dacStep = 0;
        this.dacReading = false;
        return;
      case 0x3c9:
        this.dac[this.dacWrite * 3 + this.dacStep] = this.dispi[Dispi.ENABLE] & DISPI_8BIT_DAC ? v : v & 0x3f;
        if (++this.dacStep === 3) {
          this.dacStep = 0;
          this.dacWrite = (this.dacWrite + 1) & 0xff;
        }
        return;
      case 0x3ce:
        this.gfxIndex = v & 0xf;
        return;
      case 0x3cf:
        if (this.gfxIndex < GFX_REGS) this.gfx[this.gfxIndex] = v;
        return;
    }
    if (port === (this.colour ? 0x3d4 : 0x3b4)) this.crtcIndex = v & 0x1f;
    else if (port === (this.colour ? 0x3d5 : 0x3b5)) this.writeCrtc(this.crtcIndex, v);
  }

  read16(port: number): number {
    if (port === DISPI_INDEX_PORT) return this.dispiIndex;
    if (port === DISPI_DATA_PORT) return this.readDispi();
    return this.read8(port) | (this.read8(port + 1) << 8);
  }

  write16(port: number, v: number): void {
    if (port === DISPI_INDEX_PORT) this.dispiIndex = v;
    else if (port === DISPI_DATA_PORT) this.writeDispi(v);
    else {
      // A word write to an index port sets the index and writes the data register after it.
      this.write8(port, v & 0xff);
      this.write8(port + 1, v >> 8);
    }
  }

  private writeCrtc(index: number, v: number): void {
    if (index >= CRTC_REGS) return;
    // CR11 bit 7 protects CR00–CR07, except the line compare bit of CR07.
    if (this.crtc[0x11] & 0x80 && index <= 7) {
      if (index === 7) this.crtc[7] = (this.crtc[7] & ~0x10) | (v & 0x10);
      return;
    }
    this.crtc[index] = v;
  }

  private readDac(): number {
    const v = this.dac[this.dacRead * 3 + this.dacStep];
    if (++this.dacStep === 3) {
      this.dacStep = 0;
      this.dacRead = (this.dacRead + 1) & 0xff;
    }
    return v;
  }

  // ---- Bochs VBE --------------------------------------------------------

  private readDispi(): number {
    const i = this.dispiIndex;
    if (i >= DISPI_REGS) return 0;
    if (this.dispi[Dispi.ENABLE] & DISPI_GETCAPS) {
      if (i === Dispi.XRES) return DISPI_MAX_XRES;
      if (i === Dispi.YRES) return DISPI_MAX_YRES;
      if (i === Dispi.BPP) return DISPI_MAX_BPP;
    }
    return this.dispi[i];
  }

  private writeDispi(v: number): void {
    const i = this.dispiIndex;
    const d = this.dispi;
    this.dirty = true;
    switch (i) {
      case Dispi.ID:
        if (v >= DISPI_ID0 && v <= DISPI_ID5) d[i] = v;
        return;
      case Dispi.XRES:
      case Dispi.YRES:
        if (!this.vbeEnabled && v > 0 && v <= (i === Dispi.XRES ? DISPI_MAX_XRES : DISPI_MAX_YRES)) d[i] = v;
        return;
      case Dispi.BPP:
        if (!this.vbeEnabled) d[i] = BPPS.includes(v === 0 ? 8 : v) ? (v === 0 ? 8 : v) : d[i];
        return;
      case Dispi.BANK:
        if (v < VRAM_BYTES >>> 16) d[i] = v;
        return;
      case Dispi.ENABLE:
        this.setEnable(v);
        return;
      case Dispi.VIRT_WIDTH:
        if (this.vbeEnabled && v >= d[Dispi.XRES]) {
          d[i] = v;
          d[Dispi.VIRT_HEIGHT] = Math.min(0xffff, Math.floor(VRAM_BYTES / this.lineBytes()));
        }
        return;
      case Dispi.X_OFFSET:
      case Dispi.Y_OFFSET:
        d[i] = v;
        return;
    }
  }

  /** Bytes per line of the VBE mode. */
  lineBytes(): number {
    const bpp = this.dispi[Dispi.BPP];
    const w = this.dispi[Dispi.VIRT_WIDTH];
    return bpp === 4 ? w >>> 1 : w * ((bpp + 7) >>> 3);
  }

  private setEnable(v: number): void {
    const d = this.dispi;
    const was = this.vbeEnabled;
    d[Dispi.ENABLE] = v & (DISPI_ENABLED | DISPI_GETCAPS | DISPI_8BIT_DAC | 0x40);
    if (v & DISPI_ENABLED && !was) {
      d[Dispi.VIRT_WIDTH] = d[Dispi.XRES];
      d[Dispi.VIRT_HEIGHT] = Math.min(0xffff, Math.floor(VRAM_BYTES / this.lineBytes()));
      d[Dispi.X_OFFSET] = 0;
      d[Dispi.Y_OFFSET] = 0;
      d[Dispi.BANK] = 0;
      if (!(v & DISPI_NOCLEARMEM)) this.vram.fill(0, 0, Math.min(VRAM_BYTES, this.lineBytes() * d[Dispi.YRES]));
    }
  }
}

/** A 4-bit plane set to a dword with 0xFF in each selected plane's byte. */
function expand(bits: number): number {
  return ((bits & 1 ? 0xff : 0) | (bits & 2 ? 0xff00 : 0) | (bits & 4 ? 0xff0000 : 0) | (bits & 8 ? 0xff000000 : 0)) >>> 0;
}

function planeMask(mapMask: number): number {
  return expand(mapMask);
}
