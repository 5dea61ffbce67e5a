/**
 * Standard input typed into COM1 for `jit386 run --serial stdio`. A terminal is put
 * in raw mode and Ctrl-A X quits (as QEMU's -serial mon:stdio); piped input reaches
 * the guest the same way, and its end does not end the run. The UART holds what
 * the guest has not read yet, so a paste or a pipe loses nothing.
 */
import type { Machine } from "./machine.js";

const CTRL_A = 0x01;

export function attachConsole(m: Machine): () => void {
  const stdin = process.stdin;
  const tty = stdin.isTTY === true;
  let escape = false;

  /** A terminal's keys: Ctrl-A X quits, Ctrl-A Ctrl-A sends one Ctrl-A. */
  const keys = (buf: Buffer): Uint8Array => {
    const bytes: number[] = [];
    for (const b of buf) {
      if (escape) {
        escape = false;
        if (b === 0x78 || b === 0x58) {
          m.stop();
          break;
        }
        if (b !== CTRL_A) bytes.push(CTRL_A);
      } else if (b === CTRL_A) {
        escape = true;
        continue;
      }
      bytes.push(b);
    }
    return Uint8Array.from(bytes);
  };

  const onData = (buf: Buffer) => m.sendSerial(tty ? keys(buf) : new Uint8Array(buf));
  // Input that cannot be read is input that has ended: the guest runs on without it.
  const onError = () => stdin.off("data", onData);
  if (tty) stdin.setRawMode(true);
  stdin.on("data", onData);
  stdin.on("error", onError);
  return () => {
    stdin.off("data", onData);
    stdin.off("error", onError);
    if (tty) stdin.setRawMode(false);
    stdin.pause();
  };
}
