/**
 * 8042 keyboard controller at ports 0x60 (data) and 0x64 (status / command) with
 * an MF2 keyboard behind it. Commands complete at once, so IBF never reads set.
 * Bytes the keyboard sends wait in its own queue until the controller's one-byte
 * output buffer is empty and the keyboard interface is enabled, as they would on
 * the wire; the controller's own replies go ahead of them. The output port drives
 * the A20 gate and the CPU reset line.
 *
 * No auxiliary (PS/2 mouse) device is attached: the aux commands act on the
 * controller, and bytes sent to the aux port get no answer. The keyboard speaks
 * scan code set 2 (host scancodes are given in the keyboard's set); with the
 * command byte's translation bit, which a BIOS leaves set, the controller turns
 * every byte from the keyboard into set 1 (a 0xF0 break prefix becomes bit 7 of
 * the next code), as a PC's 8042 does.
 */
import type { PortDevice } from "./portbus.js";
import type { StateTable } from "./state.js";

const ST_OBF = 0x01;
const ST_SYS = 0x04;
/** Last write went to port 0x64 (a command) rather than 0x60. */
const ST_CMD = 0x08;
/** Keyboard not inhibited by the key lock. */
const ST_UNLOCKED = 0x10;
const ST_AUX_OBF = 0x20;

const CB_KBD_INT = 0x01;
const CB_AUX_INT = 0x02;
const CB_SYS = 0x04;
const CB_KBD_OFF = 0x10;
const CB_AUX_OFF = 0x20;
const CB_XLAT = 0x40;
/** Set 2's break prefix. */
const BREAK = 0xf0;

/** The 8042's translation of set 2 codes 0x00–0x7F to set 1; codes from 0x80 pass unchanged except 0x83 (F7). */
const XLAT = Uint8Array.from([
  0xff, 0x43, 0x41, 0x3f, 0x3d, 0x3b, 0x3c, 0x58, 0x64, 0x44, 0x42, 0x40, 0x3e, 0x0f, 0x29, 0x59,
  0x65, 0x38, 0x2a, 0x70, 0x1d, 0x10, 0x02, 0x5a, 0x66, 0x71, 0x2c, 0x1f, 0x1e, 0x11, 0x03, 0x5b,
  0x67, 0x2e, 0x2d, 0x20, 0x12, 0x05, 0x04, 0x5c, 0x68, 0x39, 0x2f, 0x21, 0x14, 0x13, 0x06, 0x5d,
  0x69, 0x31, 0x30, 0x23, 0x22, 0x15, 0x07, 0x5e, 0x6a, 0x72, 0x32, 0x24, 0x16, 0x08, 0x09, 0x5f,
  0x6b, 0x33, 0x25, 0x17, 0x18, 0x0b, 0x0a, 0x60, 0x6c, 0x34, 0x35, 0x26, 0x27, 0x19, 0x0c, 0x61,
  0x6d, 0x73, 0x28, 0x74, 0x1a, 0x0d, 0x62, 0x6e, 0x3a, 0x36, 0x1c, 0x1b, 0x75, 0x2b, 0x63, 0x76,
  0x55, 0x56, 0x77, 0x78, 0x79, 0x7a, 0x0e, 0x7b, 0x7c, 0x4f, 0x7d, 0x4b, 0x47, 0x7e, 0x7f, 0x6f,
  0x52, 0x53, 0x50, 0x4c, 0x4d, 0x48, 0x01, 0x45, 0x57, 0x4e, 0x51, 0x4a, 0x37, 0x49, 0x46, 0x54,
]);
const F7_SET2 = 0x83;
const F7_SET1 = 0x41;
/** Keyboard interrupt on, system flag set, translation on: the command byte a BIOS leaves. */
const CB_INITIAL = 0x45;

const OUT_RESET = 0x01;
const OUT_A20 = 0x02;
const OUT_KBD_OBF = 0x10;
const OUT_AUX_OBF = 0x20;
/** Reset released, A20 on, aux and keyboard clock/data lines idle high. */
const OUT_INITIAL = 0xcf;

/** Marks a controller-queue entry as aux data. */
const AUX = 0x100;

const KBD_ACK = 0xfa;
const KBD_BAT_OK = 0xaa;
const KBD_RESEND = 0xfe;
/** Keyboard commands followed by a parameter byte. */
const KBD_SET_LEDS = 0xed;
const KBD_SCAN_SET = 0xf0;
const KBD_TYPEMATIC = 0xf3;

export interface I8042Wiring {
  /** IRQ 1 level: keyboard data in the output buffer with its interrupt enabled. */
  setIrq1(level: boolean): void;
  /** IRQ 12 level: aux data in the output buffer with its interrupt enabled. */
  setIrq12(level: boolean): void;
  /** The output port's A20 gate changed. */
  setA20(enabled: boolean): void;
  /** The output port pulsed the CPU reset line. */
  reset(): void;
}

/** The keyboard: answers commands and, while scanning, passes host scancodes on. */
class Mf2Keyboard {
  static readonly STATE: StateTable = { fields: ["queue", "scanning", "leds", "scanSet", "argFor"], wiring: [] };
  /** Bytes on their way to the controller. */
  readonly queue: number[] = [];
  scanning = true;
  leds = 0;
  scanSet = 2;
  /** Command awaiting its parameter byte, or -1. */
  private argFor = -1;

  private defaults(): void {
    this.scanSet = 2;
  }

  /** A byte from the controller. */
  receive(v: number): void {
    const cmd = this.argFor;
    if (cmd >= 0) {
      this.argFor = -1;
      this.parameter(cmd, v);
      return;
    }
    switch (v) {
      case 0xff:
        this.queue.length = 0;
        this.defaults();
        this.leds = 0;
        this.scanning = true;
        this.queue.push(KBD_ACK, KBD_BAT_OK);
        return;
      case 0xf6:
      case 0xf5:
        this.defaults();
        this.scanning = v === 0xf6;
        this.queue.push(KBD_ACK);
        return;
      case 0xf4:
        this.scanning = true;
        this.queue.push(KBD_ACK);
        return;
      case 0xf2:
        this.queue.push(KBD_ACK, 0xab, 0x83);
        return;
      case 0xee:
        this.queue.push(0xee);
        return;
      case KBD_SET_LEDS:
      case KBD_SCAN_SET:
      case KBD_TYPEMATIC:
        this.argFor = v;
        this.queue.push(KBD_ACK);
        return;
      default:
        this.queue.push(KBD_RESEND);
    }
  }

  private parameter(cmd: number, v: number): void {
    if (cmd === KBD_SET_LEDS) this.leds = v & 7;
    if (cmd === KBD_SCAN_SET) {
      if (v === 0) {
        this.queue.push(KBD_ACK, this.scanSet);
        return;
      }
      if (v > 3) {
        this.queue.push(KBD_RESEND);
        return;
      }
      this.scanSet = v;
    }
    this.queue.push(KBD_ACK);
  }
}

export class I8042 implements PortDevice {
  static readonly STATE: StateTable = {
    fields: ["ram", "outPort", "outByte", "outAux", "obf", "lastWasCommand", "replies", "dataFor", "keyboard", "irq1", "irq12", "breakPending"],
    wiring: ["wiring"],
  };
  /** Controller RAM; byte 0 is the command byte. */
  private readonly ram = new Uint8Array(32);
  private outPort = OUT_INITIAL;
  private outByte = 0;
  private outAux = false;
  private obf = false;
  private lastWasCommand = false;
  /** Controller replies and D2/D3 bytes, ahead of the keyboard's (AUX marks aux data). */
  private readonly replies: number[] = [];
  /** The command whose data byte the next write to port 0x60 is, or -1. */
  private dataFor = -1;
  private readonly keyboard = new Mf2Keyboard();
  private irq1 = false;
  private irq12 = false;
  /** Translation saw a break prefix: the next code gets bit 7. */
  private breakPending = false;

  constructor(private readonly wiring: I8042Wiring) {
    this.ram[0] = CB_INITIAL;
  }

  /** A20 as the output port drives it. */
  get a20(): boolean {
    return (this.outPort & OUT_A20) !== 0;
  }

  /** Keyboard LEDs as last set by the guest (bit 0 Scroll, 1 Num, 2 Caps Lock). */
  get leds(): number {
    return this.keyboard.leds;
  }

  /** Host side: key scancodes for the guest. Dropped (returns 0) while the keyboard is not scanning. */
  sendScancodes(bytes: ArrayLike<number>): number {
    if (!this.keyboard.scanning) return 0;
    for (let k = 0; k < bytes.length; k++) this.keyboard.queue.push(bytes[k] & 0xff);
    this.pump();
    return bytes.length;
  }

  private get commandByte(): number {
    return this.ram[0];
  }

  /** Refill an empty output buffer and bring the IRQ lines up to date. */
  private pump(): void {
    if (!this.obf) {
      const reply = this.replies.shift();
      if (reply !== undefined) {
        this.outByte = reply & 0xff;
        this.outAux = (reply & AUX) !== 0;
        this.obf = true;
      } else if (!(this.commandByte & CB_KBD_OFF)) {
        const q = this.keyboard.queue;
        while (q.length && !this.obf) {
          const b = q.shift() ?? 0;
          if (!(this.commandByte & CB_XLAT)) {
            this.outByte = b;
          } else if (b === BREAK) {
            this.breakPending = true;
            continue;
          } else {
            this.outByte = (b < 0x80 ? XLAT[b] : b === F7_SET2 ? F7_SET1 : b) | (this.breakPending ? 0x80 : 0);
            this.breakPending = false;
          }
          this.outAux = false;
          this.obf = true;
        }
      }
    }
    this.updateIrqs();
  }

  private updateIrqs(): void {
    const irq1 = this.obf && !this.outAux && (this.commandByte & CB_KBD_INT) !== 0;
    const irq12 = this.obf && this.outAux && (this.commandByte & CB_AUX_INT) !== 0;
    if (irq1 !== this.irq1) {
      this.irq1 = irq1;
      this.wiring.setIrq1(irq1);
    }
    if (irq12 !== this.irq12) {
      this.irq12 = irq12;
      this.wiring.setIrq12(irq12);
    }
  }

  private reply(v: number): void {
    this.replies.push(v);
  }

  private writeOutputPort(v: number): void {
    const a20 = this.a20;
    // Nothing can hold the machine in reset, so a cleared reset bit acts as a pulse
    // and reads back released.
    this.outPort = v | OUT_RESET;
    if (this.a20 !== a20) this.wiring.setA20(this.a20);
    if (!(v & OUT_RESET)) this.wiring.reset();
  }

  private readOutputPort(): number {
    const obf = this.obf ? (this.outAux ? OUT_AUX_OBF : OUT_KBD_OBF) : 0;
    return (this.outPort & ~(OUT_KBD_OBF | OUT_AUX_OBF)) | obf;
  }

  private command(cmd: number): void {
    if (cmd >= 0x20 && cmd < 0x40) {
      this.reply(this.ram[cmd & 0x1f]);
      return;
    }
    if (cmd >= 0x60 && cmd < 0x80) {
      this.dataFor = cmd;
      return;
    }
    if (cmd >= 0xf0) {
      // Pulse output-port bits 0–3 whose command bit is 0; only the reset line has a lasting effect.
      if (!(cmd & OUT_RESET)) this.wiring.reset();
      return;
    }
    switch (cmd) {
      case 0xa7:
        this.ram[0] |= CB_AUX_OFF;
        return;
      case 0xa8:
        this.ram[0] &= ~CB_AUX_OFF;
        return;
      case 0xa9:
      case 0xab:
        this.reply(0x00);
        return;
      case 0xaa:
        this.reply(0x55);
        return;
      case 0xad:
        this.ram[0] |= CB_KBD_OFF;
        return;
      case 0xae:
        this.ram[0] &= ~CB_KBD_OFF;
        return;
      case 0xd0:
        this.reply(this.readOutputPort());
        return;
      case 0xd1:
      case 0xd2:
      case 0xd3:
      case 0xd4:
        this.dataFor = cmd;
        return;
    }
  }

  /** The data byte of command `cmd`. */
  private commandData(cmd: number, v: number): void {
    if (cmd >= 0x60 && cmd < 0x80) this.ram[cmd & 0x1f] = v;
    else if (cmd === 0xd1) this.writeOutputPort(v);
    else if (cmd === 0xd2) this.reply(v);
    else if (cmd === 0xd3) this.reply(v | AUX);
    // 0xD4: sent to the aux port, where no device answers.
  }

  read8(port: number): number {
    if (port & 4) {
      return (
        (this.obf ? ST_OBF : 0) |
        (this.commandByte & CB_SYS ? ST_SYS : 0) |
        (this.lastWasCommand ? ST_CMD : 0) |
        ST_UNLOCKED |
        (this.obf && this.outAux ? ST_AUX_OBF : 0)
      );
    }
    // Reading an empty buffer returns its last byte again.
    this.obf = false;
    const v = this.outByte;
    // The line drops before the next byte arrives, so each byte is a new edge at the edge-triggered PIC.
    this.updateIrqs();
    this.pump();
    return v;
  }

  write8(port: number, value: number): void {
    if (port & 4) {
      this.lastWasCommand = true;
      this.dataFor = -1;
      this.command(value);
    } else {
      this.lastWasCommand = false;
      const cmd = this.dataFor;
      this.dataFor = -1;
      if (cmd >= 0) this.commandData(cmd, value);
      else this.keyboard.receive(value);
    }
    this.pump();
  }
}
