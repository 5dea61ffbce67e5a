/**
 * 16550A UART. Transmission is instantaneous (a byte written to THR goes straight
 * to the sink, so THR is always empty again by the next read of LSR); reception
 * goes through a 16-byte FIFO filled by the host. Bytes the host sends wait on the
 * line (as with hardware flow control) and enter the FIFO as the guest makes room,
 * so input is never lost; receive() is the line without flow control (loopback).
 * Interrupts follow the 16550's priority: line status, received data (or FIFO
 * timeout), THR empty, modem status.
 */
import type { PortDevice } from "./portbus.js";
import type { StateTable } from "./state.js";

const IER_RDA = 0x01;
const IER_THRE = 0x02;
const IER_RLS = 0x04;
const IER_MS = 0x08;

const LSR_DR = 0x01;
const LSR_OE = 0x02;
const LSR_THRE = 0x20;
const LSR_TEMT = 0x40;

const MCR_OUT2 = 0x08;
const MCR_LOOP = 0x10;

const FIFO_SIZE = 16;
const TRIGGER_LEVELS = [1, 4, 8, 14];

export class Uart16550 implements PortDevice {
  static readonly STATE: StateTable = {
    fields: ["ier", "lcr", "mcr", "lsrErrors", "msr", "msrDelta", "scr", "dll", "dlm", "fcr", "rx", "rxHead", "rxCount", "line", "lineHead", "threPending", "irqLevel", "transmitted", "overruns"],
    wiring: ["base", "sink", "setIrq"],
  };
  private ier = 0;
  private lcr = 0x03;
  private mcr = 0;
  private lsrErrors = 0;
  private msr = 0xb0;
  private msrDelta = 0;
  private scr = 0;
  private dll = 0x0c;
  private dlm = 0;
  private fcr = 0;
  private readonly rx = new Uint8Array(FIFO_SIZE);
  private rxHead = 0;
  private rxCount = 0;
  /** Host bytes waiting for room in the FIFO, from lineHead on. */
  private line: number[] = [];
  private lineHead = 0;
  /** THR-empty interrupt pending (cleared by reading IIR while it is the reason, or by writing THR). */
  private threPending = false;
  private irqLevel = false;
  transmitted = 0;
  overruns = 0;

  constructor(
    private readonly base: number,
    private readonly sink: (byte: number) => void,
    private readonly setIrq: (level: boolean) => void,
  ) {}

  /** Host side: queue bytes the guest will read. Returns how many fit. */
  receive(bytes: Uint8Array): number {
    let n = 0;
    for (const b of bytes) {
      if (this.rxCount >= (this.fcr & 1 ? FIFO_SIZE : 1)) {
        this.lsrErrors |= LSR_OE;
        this.overruns++;
        break;
      }
      this.rx[(this.rxHead + this.rxCount) % FIFO_SIZE] = b;
      this.rxCount++;
      n++;
    }
    this.update();
    return n;
  }

  /** Free space in the receive FIFO. */
  get rxSpace(): number {
    return (this.fcr & 1 ? FIFO_SIZE : 1) - this.rxCount;
  }

  /** Host side: bytes for the guest to read, all of them, as the FIFO makes room. */
  send(bytes: Uint8Array): void {
    for (const b of bytes) this.line.push(b);
    this.fill();
  }

  /** Bytes sent by the host that have not reached the FIFO yet. */
  get waiting(): number {
    return this.line.length - this.lineHead;
  }

  private fill(): void {
    if (this.lineHead === this.line.length) return;
    let room = this.rxSpace;
    while (room-- > 0 && this.lineHead < this.line.length) {
      this.rx[(this.rxHead + this.rxCount) % FIFO_SIZE] = this.line[this.lineHead++];
      this.rxCount++;
    }
    if (this.lineHead === this.line.length) {
      this.line = [];
      this.lineHead = 0;
    }
    this.update();
  }

  private get dlab(): boolean {
    return (this.lcr & 0x80) !== 0;
  }

  private rxTrigger(): number {
    return this.fcr & 1 ? TRIGGER_LEVELS[this.fcr >> 6] : 1;
  }

  /** Interrupt identification, highest priority first (IIR bits 0..3). */
  private pendingId(): number {
    if (this.ier & IER_RLS && this.lsrErrors) return 0x6;
    if (this.ier & IER_RDA && this.rxCount > 0) {
      // With FIFOs on, data below the trigger level is reported as a character timeout.
      return this.rxCount >= this.rxTrigger() ? 0x4 : 0xc;
    }
    if (this.ier & IER_THRE && this.threPending) return 0x2;
    if (this.ier & IER_MS && this.msrDelta) return 0x0;
    return 0x1;
  }

  private update(): void {
    // OUT2 gates the interrupt line on PC serial cards.
    const level = this.pendingId() !== 0x1 && (this.mcr & MCR_OUT2) !== 0;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.setIrq(level);
    }
  }

  read8(port: number): number {
    const reg = (port - this.base) & 7;
    switch (reg) {
      case 0: {
        if (this.dlab) return this.dll;
        if (this.rxCount === 0) return 0;
        const b = this.rx[this.rxHead];
        this.rxHead = (this.rxHead + 1) % FIFO_SIZE;
        this.rxCount--;
        this.update();
        this.fill();
        return b;
      }
      case 1:
        return this.dlab ? this.dlm : this.ier;
      case 2: {
        const id = this.pendingId();
        if (id === 0x2) {
          this.threPending = false;
          this.update();
        }
        return id | (this.fcr & 1 ? 0xc0 : 0);
      }
      case 3:
        return this.lcr;
      case 4:
        return this.mcr;
      case 5: {
        const v = (this.rxCount ? LSR_DR : 0) | LSR_THRE | LSR_TEMT | this.lsrErrors;
        this.lsrErrors = 0;
        this.update();
        return v;
      }
      case 6: {
        let v: number;
        if (this.mcr & MCR_LOOP) {
          // Loopback: DTR→DSR, RTS→CTS, OUT1→RI, OUT2→DCD.
          const m = this.mcr;
          v = ((m & 1) << 5) | ((m & 2) << 3) | ((m & 4) << 4) | ((m & 8) << 4);
        } else {
          v = this.msr;
        }
        v |= this.msrDelta;
        this.msrDelta = 0;
        this.update();
        return v;
      }
      default:
        return this.scr;
    }
  }

  write8(port: number, value: number): void {
    const reg = (port - this.base) & 7;
    switch (reg) {
      case 0:
        if (this.dlab) {
          this.dll = value;
          return;
        }
        this.transmitted++;
        if (this.mcr & MCR_LOOP) this.receive(Uint8Array.of(value));
        else this.sink(value);
        this.threPending = true;
        this.update();
        return;
      case 1:
        if (this.dlab) {
          this.dlm = value;
          return;
        }
        // Enabling the THRE interrupt while THR is empty raises it at once, as on a real 16550.
        if (value & IER_THRE && !(this.ier & IER_THRE)) this.threPending = true;
        this.ier = value & 0x0f;
        this.update();
        return;
      case 2:
        if (value & 0x02) {
          this.rxHead = 0;
          this.rxCount = 0;
        }
        this.fcr = value & 0xc9;
        this.update();
        this.fill();
        return;
      case 3:
        this.lcr = value;
        return;
      case 4:
        this.mcr = value & 0x1f;
        this.update();
        return;
      case 7:
        this.scr = value;
        return;
    }
  }
}
