import { type GoldModelName, goldContract } from '../contracts/gold.js';
import { layout } from '../storage/layout.js';
import type { ObjectStore } from '../storage/object-store.js';

/** Per Gold model, what each written partition holds: `_state/transform/gold/<model>.json`. */
export interface GoldState {
  readonly version: 1;
  readonly model: string;
  readonly runId: string;
  readonly updatedAt: string;
  /** Per dt: row count, order-independent fingerprint of the rows, newest business time (unix s). */
  readonly partitions: Record<string, { rows: number; fingerprint: string; maxBusinessTs: number | null }>;
}

export const goldStateKey = (model: string) => `_state/transform/gold/${model}.json`;

export async function loadGoldState(store: ObjectStore, model: string): Promise<GoldState | undefined> {
  const body = await store.get(goldStateKey(model));
  if (!body) return undefined;
  const parsed = JSON.parse(Buffer.from(body).toString('utf8')) as GoldState;
  return parsed.version === 1 ? parsed : undefined;
}

export async function saveGoldState(store: ObjectStore, state: GoldState): Promise<void> {
  await store.put(goldStateKey(state.model), `${JSON.stringify(state)}\n`);
}

/** Dts whose rows differ from what the state says was written (or whose file is missing). */
export function changedPartitions(
  fresh: GoldState['partitions'],
  previous: GoldState['partitions'] | undefined,
  existingDts: ReadonlySet<string>,
): string[] {
  return Object.keys(fresh)
    .filter((dt) => {
      const old = previous?.[dt];
      return (
        !old ||
        !existingDts.has(dt) ||
        old.rows !== fresh[dt]!.rows ||
        old.fingerprint !== fresh[dt]!.fingerprint
      );
    })
    .sort();
}

/** What the publisher needs of a Gold model: its current keys, row count and newest business time. */
export interface GoldModelSummary {
  readonly model: GoldModelName;
  readonly keys: string[];
  readonly rowCount: number;
  /** Unix seconds. */
  readonly maxBusinessTs: number | null;
}

/**
 * Summarises a Gold model from its transform state (no data read). For a snapshot model only the
 * latest dt counts (the current snapshot).
 */
export async function goldModelSummary(store: ObjectStore, model: GoldModelName): Promise<GoldModelSummary> {
  const state = await loadGoldState(store, model);
  const dts = Object.keys(state?.partitions ?? {}).sort();
  const current = goldContract(model).snapshot ? dts.slice(-1) : dts;
  let rowCount = 0;
  let maxTs: number | null = null;
  for (const dt of current) {
    const p = state!.partitions[dt]!;
    rowCount += p.rows;
    if (p.maxBusinessTs !== null && (maxTs === null || p.maxBusinessTs > maxTs)) maxTs = p.maxBusinessTs;
  }
  return {
    model,
    keys: current.map((dt) => layout.goldPartition(model, dt)),
    rowCount,
    maxBusinessTs: maxTs,
  };
}
