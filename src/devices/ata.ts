/**
 * An ATA hard disk on an IDE channel (ATA/ATAPI-6 command set): PIO and DMA
 * reads and writes with 28-bit, 48-bit and CHS addresses, READ/WRITE MULTIPLE,
 * IDENTIFY DEVICE, SET FEATURES, INITIALIZE DEVICE PARAMETERS, verify, seek,
 * cache flush, power management and READ NATIVE MAX ADDRESS. Commands it does
 * not know are aborted (ABRT), as a drive does.
 *
 * A command whose sectors run past the end of the medium is refused before any
 * data moves, with IDNF (the address was not found) and the first missing
 * sector in the task file; a host I/O failure under the backend is a medium
 * error (UNC) at the sector that failed.
 */
import type { BlockBackend } from "./block.js";
import { bufferTransfer, Err, type IdeChannel, type IdeDevice, identifyChecksum, identifyCommon, SectorTransfer, St } from "./ide.js";
import type { StateTable } from "./state.js";

const SECTOR = 512;
const MAX_MULTIPLE = 16;
const LBA28_LIMIT = 0x0fffffff;

type Handler = (d: AtaDisk, ch: IdeChannel) => void;

interface Rw {
  ext: boolean;
  write: boolean;
  dma: boolean;
  multiple: boolean;
}

function rw(opts: Rw): Handler {
  return (d, ch) => d.readWrite(ch, opts);
}

const READY = St.DRDY | St.DSC;

/** Commands that only succeed: they change no state this model keeps. */
const succeed: Handler = (d, ch) => ch.complete(d, READY);

const COMMANDS = new Map<number, Handler>([
  [0x20, rw({ ext: false, write: false, dma: false, multiple: false })],
  [0x21, rw({ ext: false, write: false, dma: false, multiple: false })],
  [0x24, rw({ ext: true, write: false, dma: false, multiple: false })],
  [0x29, rw({ ext: true, write: false, dma: false, multiple: true })],
  [0xc4, rw({ ext: false, write: false, dma: false, multiple: true })],
  [0x30, rw({ ext: false, write: true, dma: false, multiple: false })],
  [0x31, rw({ ext: false, write: true, dma: false, multiple: false })],
  [0x34, rw({ ext: true, write: true, dma: false, multiple: false })],
  [0x39, rw({ ext: true, write: true, dma: false, multiple: true })],
  [0xc5, rw({ ext: false, write: true, dma: false, multiple: true })],
  [0xc8, rw({ ext: false, write: false, dma: true, multiple: false })],
  [0xc9, rw({ ext: false, write: false, dma: true, multiple: false })],
  [0x25, rw({ ext: true, write: false, dma: true, multiple: false })],
  [0xca, rw({ ext: false, write: true, dma: true, multiple: false })],
  [0xcb, rw({ ext: false, write: true, dma: true, multiple: false })],
  [0x35, rw({ ext: true, write: true, dma: true, multiple: false })],
  [0x40, (d, ch) => d.verify(ch, false)],
  [0x41, (d, ch) => d.verify(ch, false)],
  [0x42, (d, ch) => d.verify(ch, true)],
  [0x70, (d, ch) => d.verify(ch, false, 1)],
  [0x91, (d, ch) => d.initializeParameters(ch)],
  [0xc6, (d, ch) => d.setMultiple(ch)],
  [0xec, (d, ch) => ch.startPio(d, bufferTransfer(d.identify(), SECTOR, () => (d.status = READY)))],
  [0xef, (d, ch) => d.setFeatures(ch)],
  [0xe7, succeed],
  [0xea, succeed],
  [0xe0, succeed],
  [0xe1, succeed],
  [0xe2, succeed],
  [0xe3, succeed],
  [0xe6, succeed],
  [0x94, succeed],
  [0x95, succeed],
  [0x96, succeed],
  [0x97, succeed],
  [0x99, succeed],
  // CHECK POWER MODE: active or idle.
  [0xe5, (d, ch) => ((ch.count = 0xff), ch.complete(d, READY))],
  [0x98, (d, ch) => ((ch.count = 0xff), ch.complete(d, READY))],
  [0xf8, (d, ch) => (ch.setLba(Math.min(d.sectors, LBA28_LIMIT + 1) - 1, false), ch.complete(d, READY))],
  [0x27, (d, ch) => (ch.setLba(d.sectors - 1, true), ch.complete(d, READY))],
  [0x90, (d, ch) => (d.reset(ch), ch.raiseIrq())],
]);
// RECALIBRATE is any of 0x10–0x1F.
for (let c = 0x10; c < 0x20; c++) COMMANDS.set(c, succeed);

export interface AtaDiskOptions {
  model?: string;
  serial?: string;
}

export class AtaDisk implements IdeDevice {
  static readonly STATE: StateTable = { fields: ["status", "error", "logicalHeads", "logicalSpt", "multiple", "transferMode", "backend"], wiring: ["sectors", "cylinders", "heads", "sectorsPerTrack", "model", "serial", "chs"] };
  status = READY;
  error = 0;
  readonly sectors: number;
  /** The default geometry of IDENTIFY words 1, 3 and 6. */
  readonly cylinders: number;
  readonly heads = 16;
  readonly sectorsPerTrack = 63;
  /** The geometry CHS addresses use (INITIALIZE DEVICE PARAMETERS changes it). */
  private logicalHeads = 16;
  private logicalSpt = 63;
  private multiple = 0;
  /** The mode SET FEATURES selected: IDENTIFY reports it (multiword DMA 2 until told otherwise). */
  private transferMode = 0x22;
  private readonly model: string;
  private readonly serial: string;

  constructor(
    readonly backend: BlockBackend,
    opts: AtaDiskOptions = {},
  ) {
    if (backend.sectorSize !== SECTOR) throw new RangeError(`an ATA disk has ${SECTOR}-byte sectors (got ${backend.sectorSize})`);
    this.sectors = backend.sectors;
    this.cylinders = Math.max(2, Math.min(16383, Math.floor(this.sectors / (16 * 63))));
    this.model = opts.model ?? "jit386 HARDDISK";
    this.serial = opts.serial ?? "JIT386-HD0";
  }

  reset(ch: IdeChannel): void {
    ch.signature(this, 0x00, 0x00);
    this.status = READY;
  }

  command(ch: IdeChannel, cmd: number): void {
    const h = COMMANDS.get(cmd);
    if (h) h(this, ch);
    else ch.complete(this, READY | St.ERR, Err.ABRT);
  }

  private chs = (cyl: number, head: number, sector: number): number => {
    if (sector === 0 || sector > this.logicalSpt || head >= this.logicalHeads) return -1;
    return (cyl * this.logicalHeads + head) * this.logicalSpt + sector - 1;
  };

  /** The addressed sector and count of a read, write or verify command; -1 for an impossible CHS address. */
  private address(ch: IdeChannel, ext: boolean): [number, number] {
    if (ext) return [ch.lba48(), ((ch.hobCount << 8) | ch.count) || 65536];
    return [ch.lba28(this.chs), ch.count || 256];
  }

  /** Refuse a command that reaches past the medium: IDNF, with the first missing sector in the task file. */
  private outOfRange(ch: IdeChannel, lba: number, count: number, ext: boolean): boolean {
    if (lba >= 0 && lba + count <= this.sectors) return false;
    if (lba >= 0) ch.setLba(Math.max(lba, this.sectors), ext);
    ch.complete(this, READY | St.ERR, Err.IDNF);
    return true;
  }

  readWrite(ch: IdeChannel, o: Rw): void {
    if (o.multiple && this.multiple === 0) {
      ch.complete(this, READY | St.ERR, Err.ABRT);
      return;
    }
    const [lba, count] = this.address(ch, o.ext);
    if (this.outOfRange(ch, lba, count, o.ext)) return;
    if (o.write && !this.backend.writable) {
      ch.complete(this, READY | St.ERR, Err.ABRT);
      return;
    }
    const block = SECTOR * (o.multiple ? this.multiple : 1);
    const t: SectorTransfer = new SectorTransfer(this.backend, lba, count, !o.write, block, (ok) => {
      if (!ok) {
        ch.setLba(t.position, o.ext);
        ch.complete(this, READY | St.ERR, Err.UNC);
        return;
      }
      ch.setLba(lba + count - 1, o.ext);
      // A PIO read ends when the host takes its last block: no interrupt follows.
      if (!o.dma && !o.write) this.status = READY;
      else ch.complete(this, READY);
    });
    if (o.dma) ch.startDma(this, t);
    else ch.startPio(this, t);
  }

  verify(ch: IdeChannel, ext: boolean, count?: number): void {
    const [lba, n] = this.address(ch, ext);
    if (this.outOfRange(ch, lba, count ?? n, ext)) return;
    ch.complete(this, READY);
  }

  initializeParameters(ch: IdeChannel): void {
    const heads = (ch.device & 0x0f) + 1;
    if (ch.count === 0) {
      ch.complete(this, READY | St.ERR, Err.ABRT);
      return;
    }
    this.logicalHeads = heads;
    this.logicalSpt = ch.count;
    ch.complete(this, READY);
  }

  setMultiple(ch: IdeChannel): void {
    const n = ch.count;
    if (n > MAX_MULTIPLE || (n & (n - 1)) !== 0) {
      ch.complete(this, READY | St.ERR, Err.ABRT);
      return;
    }
    this.multiple = n;
    ch.complete(this, READY);
  }

  setFeatures(ch: IdeChannel): void {
    switch (ch.feature) {
      case 0x02: // write cache on
      case 0x82: // write cache off
      case 0xaa: // read look-ahead on
      case 0x55: // read look-ahead off
      case 0x66: // keep settings over reset
      case 0xcc: // revert to defaults over reset
        ch.complete(this, READY);
        return;
      case 0x03: {
        // Transfer mode: PIO default/0–4, multiword DMA 0–2, Ultra DMA 0–5.
        const mode = ch.count;
        const ok = mode <= 0x01 || (mode >= 0x08 && mode <= 0x0c) || (mode >= 0x20 && mode <= 0x22) || (mode >= 0x40 && mode <= 0x45);
        if (ok) this.transferMode = mode;
        ch.complete(this, ok ? READY : READY | St.ERR, ok ? 0 : Err.ABRT);
        return;
      }
      default:
        ch.complete(this, READY | St.ERR, Err.ABRT);
    }
  }

  identify(): Uint8Array {
    const id = identifyCommon(this.serial, this.model);
    const lba28 = Math.min(this.sectors, LBA28_LIMIT);
    const chsSectors = Math.min(this.cylinders * this.heads * this.sectorsPerTrack, this.sectors);
    id[0] = 0x0040;
    id[1] = this.cylinders;
    id[3] = this.heads;
    id[6] = this.sectorsPerTrack;
    id[47] = 0x8000 | MAX_MULTIPLE;
    id[48] = 0x0001;
    id[50] = 0x4000;
    id[51] = 0x0200;
    id[52] = 0x0200;
    id[54] = Math.min(16383, Math.floor(chsSectors / (this.logicalHeads * this.logicalSpt)));
    id[55] = this.logicalHeads;
    id[56] = this.logicalSpt;
    const current = id[54] * id[55] * id[56];
    id[57] = current & 0xffff;
    id[58] = current >>> 16;
    id[59] = this.multiple ? 0x0100 | this.multiple : 0;
    id[60] = lba28 & 0xffff;
    id[61] = lba28 >>> 16;
    // The selected multiword or Ultra DMA mode.
    const m = this.transferMode;
    if (m >> 3 === 4) id[63] |= 0x100 << (m & 7);
    if (m >> 3 === 8) id[88] |= 0x100 << (m & 7);
    // ATA/ATAPI-6 and earlier.
    id[80] = 0x007e;
    // Supported and enabled: NOP, look-ahead, write cache; 48-bit addresses, FLUSH CACHE (EXT).
    id[82] = id[85] = 0x4060;
    id[83] = 0x7400;
    id[86] = 0x3400;
    let n = this.sectors;
    for (let k = 100; k < 104; k++) {
      id[k] = n % 0x10000;
      n = Math.floor(n / 0x10000);
    }
    return identifyChecksum(id);
  }
}
