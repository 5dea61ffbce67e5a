/**
 * The Binaryen thread (built as its own entry point, dist/binaryen-worker.js):
 * the only place Binaryen is loaded, since loading it costs ~220 ms. It builds
 * module snapshots through the Binaryen code generator and sends the bytes back
 * on the port it was given. A request marked `sync` also raises the shared flag,
 * for a main thread blocked in Atomics.wait (the binaryen code generator, which
 * builds every module; the tiered one never waits). See ARCHITECTURE.md,
 * "Code generators and tiers".
 */
import { type MessagePort, workerData } from "node:worker_threads";
import binaryen from "binaryen";
import type { ModuleSnapshot } from "../wasm/encoder.js";
import { binaryenBytes } from "./lower.js";

/** A request to the Binaryen thread. */
export interface BuildRequest {
  id: number;
  snapshot: ModuleSnapshot;
  passes: readonly string[];
  sync: boolean;
}

/** Its answer: the module's bytes, or the error that stopped it; milliseconds the thread spent on it. */
export interface BuildReply {
  id: number;
  binary: Uint8Array<ArrayBuffer> | null;
  error: string | null;
  ms: number;
}

/** What the worker is started with. */
export interface WorkerData {
  flag: Int32Array<SharedArrayBuffer>;
  port: MessagePort;
}

const { flag, port } = workerData as WorkerData;
if (port) {
  port.on("message", (r: BuildRequest) => {
    // Wall time in this thread: process.cpuUsage() would count every thread of the process.
    const t0 = performance.now();
    let reply: BuildReply;
    try {
      const binary = binaryenBytes(binaryen, r.snapshot, r.passes);
      reply = { id: r.id, binary, error: null, ms: performance.now() - t0 };
    } catch (e) {
      reply = { id: r.id, binary: null, error: e instanceof Error ? e.message : String(e), ms: performance.now() - t0 };
    }
    port.postMessage(reply, reply.binary ? [reply.binary.buffer] : []);
    if (r.sync) {
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
    }
  });
}
