/**
 * The framing of the GDB remote serial protocol: `$payload#cc` with a two-digit
 * hex checksum (the sum of the payload's bytes modulo 256), `+`/`-`
 * acknowledgements, and a bare 0x03 byte for an interrupt. Payloads are byte
 * strings, held here as latin1 strings (one char per byte). `}` escapes `#`,
 * `$`, `}` and `*` as the byte XOR 0x20 in binary data (X packets, qXfer
 * replies); run-length encoding (`*`) is decoded in what the debugger sends and
 * never produced.
 */

export type PacketEvent =
  | { kind: "packet"; payload: string }
  /** A packet whose checksum did not match: the reader answers `-` and the debugger resends. */
  | { kind: "corrupt" }
  | { kind: "interrupt" }
  | { kind: "ack" }
  | { kind: "nak" };

/** Largest payload accepted; a longer one is dropped as corrupt (qSupported advertises it). */
export const MAX_PACKET = 0x4000;

export function checksum(payload: string): number {
  let sum = 0;
  for (let k = 0; k < payload.length; k++) sum += payload.charCodeAt(k);
  return sum & 0xff;
}

/** `$payload#cc`; binary data in the payload must be escaped already (escapeReserved). */
export function frame(payload: string): string {
  return `$${payload}#${checksum(payload).toString(16).padStart(2, "0")}`;
}

/** Escape `$`, `#`, `}` and `*` in binary data. */
export function escapeReserved(data: string): string {
  return data.replace(/[$#}*]/g, (ch) => "}" + String.fromCharCode(ch.charCodeAt(0) ^ 0x20));
}

/** Undo `}` escapes (binary data of an X packet); undefined when an escape is cut off. */
export function unescapeBinary(data: string): Uint8Array | undefined {
  const out: number[] = [];
  for (let k = 0; k < data.length; k++) {
    const ch = data.charCodeAt(k);
    if (ch === 0x7d) {
      if (++k >= data.length) return undefined;
      out.push(data.charCodeAt(k) ^ 0x20);
    } else out.push(ch & 0xff);
  }
  return Uint8Array.from(out);
}

/** Expand run-length encoding: `X*n` repeats X (n - 29) more times. */
function expandRuns(body: string): string | undefined {
  if (!body.includes("*")) return body;
  let out = "";
  for (let k = 0; k < body.length; k++) {
    const ch = body[k];
    if (ch === "*") {
      if (out.length === 0 || k + 1 >= body.length) return undefined;
      const n = body.charCodeAt(++k) - 29;
      if (n < 0) return undefined;
      out += out[out.length - 1].repeat(n);
    } else if (ch === "}" && k + 1 < body.length) {
      out += ch + body[++k];
    } else out += ch;
  }
  return out;
}

const enum State {
  IDLE,
  BODY,
  SUM1,
  SUM2,
}

/** Splits the debugger's byte stream into events; feed it whatever arrives. */
export class PacketReader {
  private state = State.IDLE;
  private body: number[] = [];
  private sum = "";

  feed(bytes: Uint8Array): PacketEvent[] {
    const events: PacketEvent[] = [];
    for (const b of bytes) {
      switch (this.state) {
        case State.IDLE:
          if (b === 0x24) {
            this.state = State.BODY;
            this.body = [];
          } else if (b === 0x03) events.push({ kind: "interrupt" });
          else if (b === 0x2b) events.push({ kind: "ack" });
          else if (b === 0x2d) events.push({ kind: "nak" });
          break;
        case State.BODY:
          if (b === 0x23) this.state = State.SUM1;
          else if (b === 0x24) this.body = [];
          else if (this.body.length > MAX_PACKET) {
            this.state = State.IDLE;
            events.push({ kind: "corrupt" });
          } else this.body.push(b);
          break;
        case State.SUM1:
          this.sum = String.fromCharCode(b);
          this.state = State.SUM2;
          break;
        case State.SUM2: {
          this.state = State.IDLE;
          const text = this.sum + String.fromCharCode(b);
          const raw = String.fromCharCode(...this.body);
          const payload = /^[0-9a-fA-F]{2}$/.test(text) && parseInt(text, 16) === checksum(raw) ? expandRuns(raw) : undefined;
          events.push(payload === undefined ? { kind: "corrupt" } : { kind: "packet", payload });
          break;
        }
      }
    }
    return events;
  }
}

// ---- hex -------------------------------------------------------------------

export function toHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

/** Bytes from an even-length hex string; undefined for anything else. */
export function fromHex(hex: string): Uint8Array | undefined {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return undefined;
  const out = new Uint8Array(hex.length / 2);
  for (let k = 0; k < out.length; k++) out[k] = parseInt(hex.slice(2 * k, 2 * k + 2), 16);
  return out;
}

/** A hex number of at most 8 digits (an address, a length, a register number); undefined otherwise. */
export function hexNumber(text: string): number | undefined {
  return /^[0-9a-fA-F]{1,8}$/.test(text) ? parseInt(text, 16) : undefined;
}
