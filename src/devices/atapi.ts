/**
 * An ATAPI CD-ROM drive on an IDE channel: the PACKET protocol (a 12-byte
 * command packet by PIO, then data by PIO in blocks of at most the byte count
 * limit the host gave, or by DMA) carrying the MMC commands firmware and
 * operating systems use: TEST UNIT READY, REQUEST SENSE, INQUIRY, READ
 * CAPACITY, READ(10)/(12), READ TOC, MODE SENSE, GET CONFIGURATION, GET EVENT
 * STATUS NOTIFICATION, START STOP UNIT and medium removal, seek, speed and
 * mechanism status. Unknown commands end in CHECK CONDITION with ILLEGAL
 * REQUEST / invalid command operation code, and the sense data say why, as a
 * drive's do. The medium is read-only and 2048-byte sectors.
 */
import type { BlockBackend } from "./block.js";
import { bufferTransfer, Err, type IdeChannel, type IdeDevice, identifyChecksum, identifyCommon, SectorTransfer, St, type Transfer } from "./ide.js";
import type { StateTable } from "./state.js";

export const CD_SECTOR = 2048;
const PACKET_BYTES = 12;

// Interrupt reason (the sector count register during PACKET): command/data and direction.
const IR_COD = 0x01;
const IR_IO = 0x02;

const enum Sense {
  NONE = 0x00,
  NOT_READY = 0x02,
  MEDIUM_ERROR = 0x03,
  ILLEGAL_REQUEST = 0x05,
  UNIT_ATTENTION = 0x06,
}

// Additional sense codes.
const ASC_INVALID_OPCODE = 0x20;
const ASC_LBA_OUT_OF_RANGE = 0x21;
const ASC_INVALID_FIELD = 0x24;
const ASC_MEDIUM_NOT_PRESENT = 0x3a;
const ASC_UNRECOVERED_READ = 0x11;

/** MMC profiles for GET CONFIGURATION. */
const PROFILE_CDROM = 0x0008;
const PROFILE_DVDROM = 0x0010;
/** Larger than a CD holds: reported as a DVD. */
const CD_MAX_SECTORS = 360_000;

const READY = St.DRDY | St.DSC;

type PacketHandler = (d: AtapiCdrom, ch: IdeChannel, p: Uint8Array) => void;

function be16(p: Uint8Array, at: number): number {
  return (p[at] << 8) | p[at + 1];
}
function be32(p: Uint8Array, at: number): number {
  return ((p[at] << 24) | (p[at + 1] << 16) | (p[at + 2] << 8) | p[at + 3]) >>> 0;
}
function put16(b: Uint8Array, at: number, v: number): void {
  b[at] = (v >> 8) & 0xff;
  b[at + 1] = v & 0xff;
}
function put32(b: Uint8Array, at: number, v: number): void {
  put16(b, at, v >>> 16);
  put16(b, at + 2, v & 0xffff);
}
function ascii(b: Uint8Array, at: number, len: number, s: string): void {
  const t = s.padEnd(len, " ");
  for (let k = 0; k < len; k++) b[at + k] = t.charCodeAt(k);
}

/** LBA to minutes/seconds/frames, the 2-second pregap included. */
function msf(b: Uint8Array, at: number, lba: number): void {
  const f = lba + 150;
  b[at] = 0;
  b[at + 1] = Math.floor(f / 4500);
  b[at + 2] = Math.floor(f / 75) % 60;
  b[at + 3] = f % 75;
}

const PACKETS = new Map<number, PacketHandler>([
  [0x00, (d, ch) => d.needMedium(ch) && d.good(ch)],
  [0x03, (d, ch, p) => d.requestSense(ch, p[4])],
  [0x12, (d, ch, p) => d.reply(ch, d.inquiry(), be16(p, 3))],
  [0x1a, (d, ch, p) => d.modeSense(ch, p[2], p[4], false)],
  [0x5a, (d, ch, p) => d.modeSense(ch, p[2], be16(p, 7), true)],
  [0x1b, (d, ch) => d.good(ch)],
  [0x1e, (d, ch) => d.good(ch)],
  [0xbb, (d, ch) => d.good(ch)],
  [0x2b, (d, ch, p) => d.needMedium(ch) && d.inRange(ch, be32(p, 2), 1) && d.good(ch)],
  [0x25, (d, ch) => d.needMedium(ch) && d.readCapacity(ch)],
  [0x28, (d, ch, p) => d.read(ch, be32(p, 2), be16(p, 7))],
  [0xa8, (d, ch, p) => d.read(ch, be32(p, 2), be32(p, 6))],
  [0x43, (d, ch, p) => d.needMedium(ch) && d.readToc(ch, p)],
  [0x46, (d, ch, p) => d.getConfiguration(ch, be16(p, 7))],
  [0x4a, (d, ch, p) => d.eventStatus(ch, p)],
  [0xbd, (d, ch, p) => d.reply(ch, new Uint8Array(8), be16(p, 8))],
]);

/** The ATA commands of a packet device. */
const COMMANDS = new Map<number, (d: AtapiCdrom, ch: IdeChannel) => void>([
  [0xa0, (d, ch) => d.packetCommand(ch)],
  [0xa1, (d, ch) => ch.startPio(d, bufferTransfer(d.identify(), 512, () => (d.status = READY)))],
  // DEVICE RESET: the signature back, no interrupt.
  [0x08, (d, ch) => d.reset(ch)],
  // IDENTIFY DEVICE aborts with the signature in place, which is how hosts tell ATAPI devices.
  [0xec, (d, ch) => (d.reset(ch), ch.complete(d, READY | St.ERR, Err.ABRT))],
  [0x90, (d, ch) => (d.reset(ch), ch.raiseIrq())],
  [0xef, (d, ch) => ch.complete(d, READY)],
  [0xe7, (d, ch) => ch.complete(d, READY)],
  [0xe0, (d, ch) => ch.complete(d, READY)],
  [0xe1, (d, ch) => ch.complete(d, READY)],
]);

export interface AtapiOptions {
  model?: string;
  serial?: string;
}

export class AtapiCdrom implements IdeDevice {
  static readonly STATE: StateTable = { fields: ["status", "error", "senseKey", "asc", "limit", "dma"], wiring: ["medium", "model", "serial"] };
  status = 0;
  error = 0;
  private senseKey: number = Sense.NONE;
  private asc = 0;
  private readonly model: string;
  private readonly serial: string;

  /** `medium`: the disc, 2048-byte sectors; none is an empty drive. */
  constructor(
    readonly medium: BlockBackend | undefined,
    opts: AtapiOptions = {},
  ) {
    if (medium && medium.sectorSize !== CD_SECTOR) throw new RangeError(`a CD has ${CD_SECTOR}-byte sectors (got ${medium.sectorSize})`);
    this.model = opts.model ?? "jit386 DVD-ROM";
    this.serial = opts.serial ?? "JIT386-CD0";
  }

  /** The ATAPI signature; the status has no DRDY until a command sets it. */
  reset(ch: IdeChannel): void {
    ch.signature(this, 0x14, 0xeb);
    this.status = 0;
  }

  command(ch: IdeChannel, cmd: number): void {
    const h = COMMANDS.get(cmd);
    if (h) h(this, ch);
    else ch.complete(this, READY | St.ERR, Err.ABRT);
  }

  /** Byte count limit from the cylinder registers: even, and 0 taken as the largest. */
  private limit = 0xfffe;
  private dma = false;

  packetCommand(ch: IdeChannel): void {
    this.dma = (ch.feature & 1) !== 0;
    const limit = ((ch.lbaHigh << 8) | ch.lbaMid) & ~1;
    this.limit = limit || 0xfffe;
    ch.count = IR_COD;
    this.status = READY;
    ch.receivePacket(this, PACKET_BYTES);
  }

  packet(ch: IdeChannel, p: Uint8Array): void {
    const h = PACKETS.get(p[0]);
    if (h) h(this, ch, p);
    else this.fail(ch, Sense.ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
  }

  // ---- completion ----------------------------------------------------------

  /** GOOD status: the command phase ends with an interrupt. */
  good(ch: IdeChannel): true {
    this.senseKey = Sense.NONE;
    this.asc = 0;
    ch.count = IR_IO | IR_COD;
    ch.complete(this, READY);
    return true;
  }

  /** CHECK CONDITION: the sense key in the error register's high nibble, the details for REQUEST SENSE. */
  fail(ch: IdeChannel, key: Sense, asc: number): false {
    this.senseKey = key;
    this.asc = asc;
    ch.count = IR_IO | IR_COD;
    ch.complete(this, READY | St.ERR, (key << 4) | Err.ABRT);
    return false;
  }

  needMedium(ch: IdeChannel): boolean {
    return this.medium ? true : this.fail(ch, Sense.NOT_READY, ASC_MEDIUM_NOT_PRESENT);
  }

  inRange(ch: IdeChannel, lba: number, count: number): boolean {
    return lba + count <= this.medium!.sectors ? true : this.fail(ch, Sense.ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
  }

  /** Send `data` (cut to the allocation length) to the host, then GOOD status. */
  reply(ch: IdeChannel, data: Uint8Array, allocation: number): void {
    const out = data.subarray(0, Math.min(data.length, allocation));
    if (out.length === 0) {
      this.good(ch);
      return;
    }
    this.send(ch, bufferTransfer(out, this.limit, (ok) => this.done(ch, ok), (n) => this.dataBlock(ch, n)));
  }

  private send(ch: IdeChannel, t: Transfer): void {
    if (this.dma) ch.startDma(this, t);
    else ch.startPio(this, t);
  }

  /** Before each PIO data block: its size in the cylinder registers, data-to-host in the interrupt reason. */
  private dataBlock(ch: IdeChannel, n: number): void {
    ch.lbaMid = n & 0xff;
    ch.lbaHigh = n >> 8;
    ch.count = IR_IO;
  }

  private done(ch: IdeChannel, ok: boolean): void {
    if (ok) this.good(ch);
    else this.fail(ch, Sense.MEDIUM_ERROR, ASC_UNRECOVERED_READ);
  }

  // ---- commands ------------------------------------------------------------

  requestSense(ch: IdeChannel, allocation: number): void {
    const s = new Uint8Array(18);
    s[0] = 0x70;
    s[2] = this.senseKey;
    s[7] = 10;
    s[12] = this.asc;
    // The sense data are reported once.
    this.senseKey = Sense.NONE;
    this.asc = 0;
    this.reply(ch, s, allocation);
  }

  inquiry(): Uint8Array {
    const b = new Uint8Array(36);
    b[0] = 0x05; // CD/DVD device
    b[1] = 0x80; // removable
    b[3] = 0x21; // ATAPI transport, SPC response format
    b[4] = 31;
    ascii(b, 8, 8, "JIT386");
    ascii(b, 16, 16, this.model.replace(/^jit386 /, ""));
    ascii(b, 32, 4, "1.0");
    return b;
  }

  readCapacity(ch: IdeChannel): true {
    const b = new Uint8Array(8);
    put32(b, 0, this.medium!.sectors - 1);
    put32(b, 4, CD_SECTOR);
    this.reply(ch, b, 8);
    return true;
  }

  read(ch: IdeChannel, lba: number, count: number): void {
    if (!this.needMedium(ch) || !this.inRange(ch, lba, count)) return;
    if (count === 0) {
      this.good(ch);
      return;
    }
    // A PIO block is whole sectors when the limit allows it.
    const block = this.limit >= CD_SECTOR ? this.limit - (this.limit % CD_SECTOR) : this.limit;
    const t = new SectorTransfer(this.medium!, lba, count, true, block, (ok) => this.done(ch, ok));
    this.send(ch, {
      toHost: true,
      bytes: t.bytes,
      block,
      move: (d) => t.move(d),
      beginBlock: (n) => this.dataBlock(ch, n),
      finish: t.finish,
    });
  }

  readToc(ch: IdeChannel, p: Uint8Array): true | false {
    const useMsf = (p[1] & 0x02) !== 0;
    const format = p[9] >> 6 || p[2] & 0x0f;
    const allocation = be16(p, 7);
    const addr = (b: Uint8Array, at: number, lba: number) => (useMsf ? msf(b, at, lba) : put32(b, at, lba));
    if (format === 0) {
      const start = p[6];
      if (start > 1 && start !== 0xaa) return this.fail(ch, Sense.ILLEGAL_REQUEST, ASC_INVALID_FIELD);
      const tracks = start === 0xaa ? [0xaa] : [1, 0xaa];
      const b = new Uint8Array(4 + 8 * tracks.length);
      put16(b, 0, b.length - 2);
      b[2] = 1;
      b[3] = 1;
      tracks.forEach((t, k) => {
        const at = 4 + 8 * k;
        b[at + 1] = 0x14; // data track, recorded uninterrupted
        b[at + 2] = t;
        addr(b, at + 4, t === 1 ? 0 : this.medium!.sectors);
      });
      this.reply(ch, b, allocation);
      return true;
    }
    if (format === 1) {
      // Session information: one session, its first track at LBA 0.
      const b = new Uint8Array(12);
      put16(b, 0, 10);
      b[2] = 1;
      b[3] = 1;
      b[5] = 0x14;
      b[6] = 1;
      addr(b, 8, 0);
      this.reply(ch, b, allocation);
      return true;
    }
    return this.fail(ch, Sense.ILLEGAL_REQUEST, ASC_INVALID_FIELD);
  }

  /** Mode pages: error recovery (0x01), CD capabilities (0x2A), or all (0x3F). */
  modeSense(ch: IdeChannel, pc: number, allocation: number, ten: boolean): void {
    const page = pc & 0x3f;
    const pages: Uint8Array[] = [];
    if (page === 0x01 || page === 0x3f) pages.push(Uint8Array.of(0x01, 0x06, 0, 5, 0, 0, 0, 0));
    if (page === 0x2a || page === 0x3f) {
      const c = new Uint8Array(20);
      c[0] = 0x2a;
      c[1] = 18;
      c[2] = 0x03; // reads CD-R and CD-RW
      c[4] = 0x71; // audio play, composite, digital ports, multisession
      c[5] = 0x00;
      c[6] = 0x29; // lock, eject, tray loading mechanism
      put16(c, 8, 706); // maximum speed, kB/s (4x)
      put16(c, 10, 0);
      put16(c, 12, 512); // buffer, KiB
      put16(c, 14, 706);
      pages.push(c);
    }
    if (!pages.length) {
      this.fail(ch, Sense.ILLEGAL_REQUEST, ASC_INVALID_FIELD);
      return;
    }
    const header = ten ? 8 : 4;
    const size = header + pages.reduce((n, p) => n + p.length, 0);
    const b = new Uint8Array(size);
    if (ten) put16(b, 0, size - 2);
    else b[0] = size - 1;
    // Medium type: 120 mm CD-ROM data only, or none.
    b[ten ? 2 : 1] = this.medium ? 0x01 : 0x70;
    let at = header;
    for (const p of pages) {
      b.set(p, at);
      at += p.length;
    }
    this.reply(ch, b, allocation);
  }

  getConfiguration(ch: IdeChannel, allocation: number): void {
    const current = !this.medium ? 0 : this.medium.sectors > CD_MAX_SECTORS ? PROFILE_DVDROM : PROFILE_CDROM;
    const b = new Uint8Array(8 + 12 + 8);
    put32(b, 0, b.length - 4);
    put16(b, 6, current);
    // Feature 0: the profile list.
    put16(b, 8, 0x0000);
    b[10] = 0x03;
    b[11] = 8;
    put16(b, 12, PROFILE_DVDROM);
    b[14] = current === PROFILE_DVDROM ? 1 : 0;
    put16(b, 16, PROFILE_CDROM);
    b[18] = current === PROFILE_CDROM ? 1 : 0;
    // Feature 1: core, ATAPI physical interface.
    put16(b, 20, 0x0001);
    b[22] = 0x0b;
    b[23] = 4;
    put32(b, 24, 2);
    this.reply(ch, b, allocation);
  }

  /** GET EVENT STATUS NOTIFICATION, polled, media class: no event, the medium present or not. */
  eventStatus(ch: IdeChannel, p: Uint8Array): void {
    if (!(p[1] & 1)) {
      this.fail(ch, Sense.ILLEGAL_REQUEST, ASC_INVALID_FIELD);
      return;
    }
    const b = new Uint8Array(8);
    put16(b, 0, 6);
    b[2] = 0x04; // media class
    b[3] = 0x10; // supported classes: media
    b[5] = this.medium ? 0x02 : 0x00;
    this.reply(ch, b, be16(p, 7));
  }

  identify(): Uint8Array {
    const id = identifyCommon(this.serial, this.model);
    // ATAPI, CD-ROM, removable, DRQ within 50 us, 12-byte packets.
    id[0] = 0x85c0;
    id[62] = 0x0007;
    id[71] = 30;
    id[72] = 30;
    id[80] = 0x001e;
    // PACKET and removable media feature sets, supported and enabled.
    id[82] = id[85] = 0x4014;
    id[83] = 0x4000;
    return identifyChecksum(id);
  }
}
