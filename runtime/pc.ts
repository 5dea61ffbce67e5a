/**
 * The 440FX/PIIX3 parts of the PC that firmware and disk guests need, kept
 * apart from machine.ts: the PIIX3 ISA bridge and ELCR, the PIIX IDE controller
 * with its drives, the fw_cfg interface SeaBIOS reads, QEMU's debug console port
 * 0x402, and — once firmware is installed — the BIOS flash at the top of 4 GiB
 * and the PAM-controlled shadow of 0xC0000–0xFFFFF ("PC platform" in
 * ARCHITECTURE.md).
 */
import { mapHighRom } from "../src/boot/rom.js";
import { DebugConsole } from "../src/devices/debugcon.js";
import { FwCfg, FW_CFG_PORT_DMA, FW_CFG_PORT_SEL, FwCfgItem, le16, le32, le64 } from "../src/devices/fwcfg.js";
import { PAM_REGISTER, PAM_REGISTERS, PamShadow } from "../src/devices/pam.js";
import { AtaDisk } from "../src/devices/ata.js";
import { AtapiCdrom } from "../src/devices/atapi.js";
import type { BlockBackend } from "../src/devices/block.js";
import type { IdeDevice } from "../src/devices/ide.js";
import { Elcr, ELCR_PORT, PIIX_DEVICE, piix3IsaBridge, ResetControl, RESET_CONTROL_PORT } from "../src/devices/piix.js";
import { IDE_FUNCTION, PiixIde } from "../src/devices/piixide.js";
import type { Machine } from "./machine.js";

/** QEMU's debug console port, where SeaBIOS writes its log. */
export const QEMU_DEBUG_PORT = 0x402;
/** Subsystem IDs QEMU gives its host bridge: SeaBIOS recognises the machine by them. */
const QEMU_SUBSYSTEM_VENDOR = 0x1af4;
const QEMU_SUBSYSTEM_ID = 0x1100;

/** CMOS bytes QEMU's firmware reads for the boot order: one device per nibble, 2 = hard disk, 3 = CD-ROM. */
const CMOS_BOOTFLAG1 = 0x38;
const CMOS_BOOTFLAG2 = 0x3d;
const BOOT_HD = 2;
const BOOT_CD = 3;

export type BootDevice = "disk" | "cdrom";

export interface FirmwareOptions {
  /** The system BIOS image (SeaBIOS's bios-256k.bin): mapped at the top of 4 GiB, its last 128 KiB below 1 MiB. */
  bios: Uint8Array;
  /** A VGA BIOS, in the VGA's PCI ROM BAR (SeaBIOS copies it to 0xC0000 and runs it). */
  vgaBios?: Uint8Array;
  /** First boot device (default: the disk). */
  boot?: BootDevice;
}

export interface StorageOptions {
  /** Hard disks (512-byte sectors), in IDE order: primary master, primary slave, then the secondary channel. */
  disks?: BlockBackend[];
  /** A CD-ROM drive at the secondary master, with this disc (2048-byte sectors), or empty when null. */
  cdrom?: BlockBackend | null;
}

/** IDE positions, primary master first; the CD-ROM takes the secondary master as on QEMU's PC. */
const CD_POSITION = 2;
export const MAX_DRIVES = 4;

export class PcPlatform {
  readonly elcr = new Elcr();
  readonly fwcfg: FwCfg;
  readonly ide: PiixIde;
  pam: PamShadow | undefined;
  /** What installFirmware installed (a snapshot records it). */
  firmware: FirmwareOptions | undefined;
  readonly resetControl: ResetControl;

  constructor(
    private readonly m: Machine,
    storage: StorageOptions = {},
  ) {
    const ports = m.ports;
    const pci = m.pci;
    const host = pci.hostBridge;
    host.define(0x2c, 2, QEMU_SUBSYSTEM_VENDOR);
    host.define(0x2e, 2, QEMU_SUBSYSTEM_ID);
    // PAM0's low nibble is reserved; every other nibble holds RE (bit 0) and WE (bit 1).
    host.define(PAM_REGISTER, 1, 0, 0x30);
    for (let n = 1; n < PAM_REGISTERS; n++) host.define(PAM_REGISTER + n, 1, 0, 0x33);
    host.onWrite = (offset, size) => {
      for (let n = 0; n < PAM_REGISTERS; n++) {
        const at = PAM_REGISTER + n;
        if (at >= offset && at < offset + size) this.pam?.writeRegister(n, host.bytes[at]);
      }
    };
    pci.register(PIIX_DEVICE, 0, piix3IsaBridge());
    ports.register(ELCR_PORT, 2, this.elcr);
    this.resetControl = new ResetControl(() => m.requestReset());
    ports.register(RESET_CONTROL_PORT, 1, this.resetControl);

    this.ide = new PiixIde(ports, m.cpu, placeDrives(storage), (irq, level) => m.irq.setIrq(irq, level));
    pci.register(PIIX_DEVICE, IDE_FUNCTION, this.ide.config);

    this.fwcfg = new FwCfg(m.cpu);
    ports.register(FW_CFG_PORT_SEL, 2, this.fwcfg);
    ports.register(FW_CFG_PORT_DMA, 8, this.fwcfg);
    ports.register(QEMU_DEBUG_PORT, 1, new DebugConsole((b) => m.emitDebugcon(b)));
  }

  /** Install firmware: flash at the top of 4 GiB, the PAM shadow below 1 MiB, what fw_cfg tells it. */
  installFirmware(opts: FirmwareOptions): void {
    const m = this.m;
    if (this.pam) throw new Error("firmware is already installed");
    this.firmware = opts;
    mapHighRom(m.cpu, opts.bios);
    this.pam = new PamShadow(m.cpu, opts.bios, m.cpu.mmio);
    m.cpu.mmio = this.pam;
    const f = this.fwcfg;
    f.setItem(FwCfgItem.RAM_SIZE, le64(m.cpu.ramBytes));
    f.setItem(FwCfgItem.NB_CPUS, le16(1));
    f.setItem(FwCfgItem.MAX_CPUS, le16(1));
    f.setItem(FwCfgItem.NOGRAPHIC, le16(opts.vgaBios ? 0 : 1));
    f.setItem(FwCfgItem.BOOT_MENU, le16(0));
    f.setItem(FwCfgItem.NUMA, le64(0));
    f.setItem(FwCfgItem.ACPI_TABLES, le16(0));
    f.setItem(FwCfgItem.SMBIOS_ENTRIES, le16(0));
    f.setItem(FwCfgItem.IRQ0_OVERRIDE, Uint8Array.of(1));
    f.setItem(FwCfgItem.E820_TABLE, le32(0));
    f.setItem(FwCfgItem.UUID, new Uint8Array(16));
    // Without a VGA BIOS, the firmware's text console goes to COM1 (and takes its keys from there).
    if (opts.vgaBios) m.vgaPci.setRom(opts.vgaBios);
    else f.addFile("etc/sercon-port", le16(0x3f8));
    const order = opts.boot === "cdrom" ? BOOT_CD | (BOOT_HD << 4) : BOOT_HD | (BOOT_CD << 4);
    m.rtc.setCmos(CMOS_BOOTFLAG2, order);
    m.rtc.setCmos(CMOS_BOOTFLAG1, 0x00);
  }

  /** A reset with firmware installed: the chipset back to power-on state (RAM keeps its contents). */
  reset(): void {
    this.pam?.reset();
    const host = this.m.pci.hostBridge;
    for (let n = 0; n < PAM_REGISTERS; n++) host.bytes[PAM_REGISTER + n] = 0;
    this.fwcfg.reset();
    this.ide.reset();
    this.m.vga.reset();
    this.m.vgaPci.reset();
  }
}

function placeDrives(s: StorageOptions): (IdeDevice | undefined)[] {
  const drives: (IdeDevice | undefined)[] = new Array(MAX_DRIVES).fill(undefined);
  if (s.cdrom !== undefined) drives[CD_POSITION] = new AtapiCdrom(s.cdrom ?? undefined);
  let next = 0;
  for (const [k, disk] of (s.disks ?? []).entries()) {
    while (next < MAX_DRIVES && drives[next]) next++;
    if (next === MAX_DRIVES) throw new RangeError(`at most ${MAX_DRIVES - (s.cdrom !== undefined ? 1 : 0)} disks fit beside ${s.cdrom !== undefined ? "the CD-ROM" : "nothing"}`);
    drives[next] = new AtaDisk(disk, { serial: `JIT386-HD${k}` });
  }
  return drives;
}
