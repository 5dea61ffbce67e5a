/**
 * `jit386 run` with save points: the machine's state saved once its progress
 * (instructions retired plus exceptions and interrupts delivered, what runs are
 * bounded by: "Progress and the instruction limit" in ARCHITECTURE.md) reaches N
 * (--save-at), whenever SIGUSR1 arrives, or at the end of the run ("Snapshots").
 * A save waits for the next instruction boundary at which no disk transfer is
 * under way.
 */
import type { Machine } from "./machine.js";
import { saveSnapshot, unsavableReason } from "./snapshot.js";
import type { RunResult } from "./types.js";

export interface SavePlan {
  /** Save once the progress count (from power-on) reaches this; else at the end of the run. */
  at: number | undefined;
  write(snapshot: Uint8Array): void;
}

/** Run until the guest stops or its progress reaches `maxInstructions`, saving as `plan` says. */
export async function runWithSaves(m: Machine, maxInstructions: number, plan: SavePlan | undefined): Promise<RunResult> {
  if (!plan) return m.run(maxInstructions);
  const progress = (): number => m.cpu.progress;
  const start = m.instructionCount;
  const end = progress() + maxInstructions;
  let pendingAt = plan.at;
  let signalled = false;
  const onSignal = () => {
    signalled = true;
    m.stop();
  };
  process.on("SIGUSR1", onSignal);
  const result = (r: RunResult): RunResult => ({ ...r, instructions: m.instructionCount - start });
  /** Save at the next boundary where the machine can be saved; the run's end if it comes first. */
  const save = (): RunResult | undefined => {
    while (unsavableReason(m)) {
      const r = m.runSync(1);
      if (r.reason !== "limit") return r;
    }
    plan.write(saveSnapshot(m));
    return undefined;
  };
  try {
    for (;;) {
      const until = pendingAt !== undefined && pendingAt < end ? pendingAt : end;
      const r = until > progress() ? await m.run(until - progress()) : undefined;
      let over: RunResult | undefined;
      if (pendingAt !== undefined && progress() >= pendingAt && (!r || r.reason === "limit")) {
        pendingAt = undefined;
        over = save();
      } else if (r?.reason === "stopped" && signalled) {
        signalled = false;
        over = save();
      } else {
        const final = r ?? { reason: "limit" as const, instructions: 0 };
        if (plan.at === undefined) save();
        else if (pendingAt !== undefined) process.stderr.write(`jit386: the run ended before instruction ${pendingAt}: no state saved\n`);
        return result(final);
      }
      if (over) {
        if (plan.at === undefined) save();
        return result(over);
      }
    }
  } finally {
    process.off("SIGUSR1", onSignal);
  }
}
