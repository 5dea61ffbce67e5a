/**
 * Device state as plain data, for snapshots ("Snapshots" in ARCHITECTURE.md).
 * Each device class describes its state once, as a table of field names
 * (`static readonly STATE`), and the same table drives both saving and
 * restoring, so the two cannot drift apart. Fields the constructor wired up
 * (callbacks, other devices, the clock, configuration fixed at creation) are
 * named as wiring: the snapshot test checks that every field of a device is one
 * or the other, so a new field cannot be forgotten.
 *
 * A saved value is a primitive, a copy of a typed array, an array or Map of
 * saved values, or the saved state of a nested device (an object whose class has
 * a table). Restoring writes into the existing objects (typed arrays, arrays,
 * Maps and nested devices are filled in place), so references other parts of the
 * machine hold stay valid. Files and formats are the runtime's business.
 */

export type SavedValue =
  | number
  | boolean
  | string
  | undefined
  | null
  | ArrayBufferView
  | readonly SavedValue[]
  | ReadonlyMap<SavedValue, SavedValue>
  | SavedState;

export interface SavedState {
  readonly [field: string]: SavedValue;
}

export interface StateTable {
  /** Fields that change as the guest runs: saved and restored. */
  readonly fields: readonly string[];
  /** Fields set at construction that a snapshot need not hold (callbacks, other devices, fixed configuration). */
  readonly wiring: readonly string[];
}

/** A class with a state table. */
export interface StatefulClass {
  readonly STATE: StateTable;
}

/** Called after a device's fields are restored, to rebuild what derives from them. */
export interface Restorable {
  restored(): void;
}

/** Raised when a saved state does not fit the device (another version of it, or damaged data). */
export class StateError extends Error {}

type Fields = Record<string, unknown>;

/** The state table of `obj`'s class, if it has one. */
export function stateTable(obj: unknown): StateTable | undefined {
  if (typeof obj !== "object" || obj === null) return undefined;
  return (obj.constructor as Partial<StatefulClass>).STATE;
}

/** The state of a device whose class has a table. */
export function saveDevice(dev: object, name = dev.constructor.name): SavedState {
  const table = stateTable(dev);
  if (!table) throw new StateError(`${name} has no state table`);
  const out: Record<string, SavedValue> = {};
  for (const f of table.fields) out[f] = saveValue((dev as Fields)[f], `${name}.${f}`);
  return out;
}

/** Put a saved state back into `dev`, field by field, then let it rebuild what derives from them. */
export function restoreDevice(dev: object, saved: unknown, name = dev.constructor.name): void {
  const table = stateTable(dev);
  if (!table) throw new StateError(`${name} has no state table`);
  if (typeof saved !== "object" || saved === null) throw new StateError(`${name}: no saved state`);
  const s = saved as Fields;
  for (const f of table.fields) {
    if (!(f in s)) throw new StateError(`${name}.${f} is missing from the saved state`);
    (dev as Fields)[f] = restoreValue((dev as Fields)[f], s[f], `${name}.${f}`);
  }
  if (typeof (dev as Partial<Restorable>).restored === "function") (dev as Restorable).restored();
}

function saveValue(v: unknown, where: string): SavedValue {
  if (v === undefined || v === null || typeof v === "number" || typeof v === "boolean" || typeof v === "string") return v;
  if (ArrayBuffer.isView(v)) return (v as unknown as { slice(): ArrayBufferView }).slice();
  if (Array.isArray(v)) return v.map((e, k) => saveValue(e, `${where}[${k}]`));
  if (v instanceof Map) {
    const m = new Map<SavedValue, SavedValue>();
    for (const [k, e] of v) m.set(saveValue(k, where), saveValue(e, `${where}[${String(k)}]`));
    return m;
  }
  if (stateTable(v)) return saveDevice(v as object, where);
  throw new StateError(`${where} cannot be saved (${typeof v === "object" ? (v as object).constructor.name : typeof v})`);
}

function restoreValue(current: unknown, saved: unknown, where: string): unknown {
  if (stateTable(current)) {
    restoreDevice(current as object, saved, where);
    return current;
  }
  if (ArrayBuffer.isView(current) && !(current instanceof DataView)) {
    if (!ArrayBuffer.isView(saved) || saved.constructor !== current.constructor) throw new StateError(`${where}: expected a ${current.constructor.name}`);
    const cur = current as unknown as { length: number; set(a: ArrayLike<number>): void };
    const sav = saved as unknown as ArrayLike<number>;
    // Buffers a device reallocates (sized to a transfer) come back at their saved size.
    if (cur.length !== sav.length) return (saved as unknown as { slice(): unknown }).slice();
    cur.set(sav);
    return current;
  }
  if (Array.isArray(current)) {
    if (!Array.isArray(saved)) throw new StateError(`${where}: expected a list`);
    // A list holding devices (drives, counters) is the machine's shape: the same devices in the same places.
    if (current.some((e) => stateTable(e))) {
      if (saved.length !== current.length) throw new StateError(`${where}: expected ${current.length} entries`);
      current.forEach((e, k) => {
        if (stateTable(e)) restoreDevice(e as object, saved[k], `${where}[${k}]`);
        else if (saved[k] !== e) throw new StateError(`${where}[${k}]: the machine has no device there`);
      });
      return current;
    }
    current.length = 0;
    for (const e of saved) current.push(plainCopy(e));
    return current;
  }
  if (current instanceof Map) {
    if (!(saved instanceof Map)) throw new StateError(`${where}: expected a map`);
    const nested = [...current.values()].some((e) => stateTable(e));
    if (nested) {
      for (const [k, e] of current) if (stateTable(e)) restoreDevice(e as object, saved.get(k), `${where}[${String(k)}]`);
      return current;
    }
    current.clear();
    for (const [k, e] of saved) current.set(k, plainCopy(e));
    return current;
  }
  if (typeof current === "object" && current !== null) throw new StateError(`${where} cannot be restored`);
  if (saved !== undefined && saved !== null && typeof saved === "object" && !ArrayBuffer.isView(saved)) throw new StateError(`${where}: expected a plain value`);
  if (current !== undefined && current !== null && saved !== undefined && saved !== null && typeof saved !== typeof current) {
    throw new StateError(`${where}: expected a ${typeof current}`);
  }
  return ArrayBuffer.isView(saved) ? (saved as unknown as { slice(): unknown }).slice() : saved;
}

/** A saved value put into a field that held no device: typed arrays copied, the rest as is. */
function plainCopy(v: unknown): unknown {
  if (ArrayBuffer.isView(v)) return (v as unknown as { slice(): unknown }).slice();
  if (Array.isArray(v)) return v.map(plainCopy);
  return v;
}
