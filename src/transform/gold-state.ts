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
