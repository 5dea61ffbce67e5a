/**
 * The main thread's side of the Binaryen thread (jit/binaryen/worker.ts): builds
 * waited for (the binaryen code generator) and builds in the background (tier 2).
 * The worker is started on first use and never keeps the process alive.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from "node:worker_threads";
import type { BuildReply, BuildRequest, WorkerData } from "../jit/binaryen/worker.js";
import type { ModuleSnapshot } from "../jit/wasm/encoder.js";

const WORKER_FILE = "binaryen-worker.js";

/** The built worker: beside the bundle (dist/), or in dist/ when running from the sources (tests). */
function workerPath(): string {
  for (const rel of [`./${WORKER_FILE}`, `../dist/${WORKER_FILE}`]) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new Error(`jit386: ${WORKER_FILE} is missing (run npm run build)`);
}

/** A build's result: the module's bytes (null when Binaryen failed) and the milliseconds the thread spent on it. */
export interface Built {
  binary: Uint8Array<ArrayBuffer> | null;
  error: string | null;
  ms: number;
}

let shared: BinaryenThread | null | undefined;

/** The process's one Binaryen thread, started on first use; null when it cannot start (no built worker). */
export function binaryenThread(): BinaryenThread | null {
  if (shared === undefined) {
    try {
      shared = new BinaryenThread();
    } catch {
      shared = null;
    }
  }
  return shared;
}

export class BinaryenThread {
  private readonly worker: Worker;
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private readonly port: MessagePort;
  private nextId = 0;
  private readonly pending = new Map<number, (r: BuildReply) => void>();
  constructor() {
    const channel = new MessageChannel();
    this.port = channel.port1;
    const data: WorkerData = { flag: this.flag, port: channel.port2 };
    this.worker = new Worker(workerPath(), { workerData: data, transferList: [channel.port2] });
    this.worker.unref();
    this.port.on("message", (r: BuildReply) => this.answer(r));
    this.port.unref();
    this.worker.on("error", (e) => {
      for (const [id, done] of this.pending) done({ id, binary: null, error: e.message, ms: 0 });
      this.pending.clear();
    });
  }

  /** Build now: the caller blocks until the worker answers. */
  buildSync(snapshot: ModuleSnapshot, passes: readonly string[]): Built {
    const id = this.nextId++;
    let reply: BuildReply | undefined;
    this.pending.set(id, (r) => (reply = r));
    Atomics.store(this.flag, 0, 0);
    const request: BuildRequest = { id, snapshot, passes, sync: true };
    this.port.postMessage(request);
    // Read the reply without returning to the event loop (background replies queued before it are answered too).
    Atomics.wait(this.flag, 0, 0);
    for (let m = receiveMessageOnPort(this.port); m && reply === undefined; m = receiveMessageOnPort(this.port)) this.answer(m.message as BuildReply);
    return reply ?? { binary: null, error: "the Binaryen thread did not answer", ms: 0 };
  }

  /** Build in the background. */
  build(snapshot: ModuleSnapshot, passes: readonly string[]): Promise<Built> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      const request: BuildRequest = { id, snapshot, passes, sync: false };
      this.port.postMessage(request);
    });
  }

  private answer(r: BuildReply): void {
    const done = this.pending.get(r.id);
    this.pending.delete(r.id);
    done?.(r);
  }
}
