import { layout } from '../storage/layout.js';
import type { ObjectStore } from '../storage/object-store.js';
import { readJsonObject } from '../storage/read-json.js';

export type RunStatus = 'running' | 'succeeded' | 'failed';

/** `_state/manifests/run_<run_id>.json` (SPEC section 10). */
export interface RunManifestData {
  run_id: string;
  command: string;
  status: RunStatus;
  started_at: string;
  finished_at?: string;
  settings: Record<string, unknown>;
  extract?: Record<string, unknown>;
  transform?: Record<string, unknown>;
  quality?: { passed: boolean; scope?: string; checks: unknown[] };
  published?: unknown[];
  error?: { step: string; message: string };
  [section: string]: unknown;
}

/**
 * The run manifest: written at start (`running`), rewritten after each step with that step's
 * section added, final at the end. Each write carries every earlier section, so a crash never
 * loses one.
 */
export class RunManifest {
  private data: RunManifestData;

  private constructor(
    private readonly store: ObjectStore,
    data: RunManifestData,
  ) {
    this.data = data;
  }

  static async start(
    store: ObjectStore,
    init: { runId: string; command: string; settings: Record<string, unknown>; startedAt?: Date },
  ): Promise<RunManifest> {
    const m = new RunManifest(store, {
      run_id: init.runId,
      command: init.command,
      status: 'running',
      started_at: (init.startedAt ?? new Date()).toISOString(),
      settings: init.settings,
    });
    await m.write();
    return m;
  }

  get snapshot(): Readonly<RunManifestData> {
    return this.data;
  }

  /** Adds (or replaces) one step's section and persists the manifest. */
  async section(name: string, value: unknown): Promise<void> {
    this.data = { ...this.data, [name]: value };
    await this.write();
  }

  async finish(
    status: Exclude<RunStatus, 'running'>,
    error?: { step: string; message: string },
  ): Promise<void> {
    this.data = { ...this.data, status, finished_at: new Date().toISOString(), ...(error ? { error } : {}) };
    await this.write();
  }

  /** Writes in the order they were asked for: steps running side by side each add a section. */
  private writes: Promise<void> = Promise.resolve();

  private write(): Promise<void> {
    const body = `${JSON.stringify(this.data, null, 2)}\n`;
    const key = layout.manifest(this.data.run_id);
    // each body holds every section added before it: the last one asked for lands last
    const next = this.writes.catch(() => {}).then(() => this.store.put(key, body));
    this.writes = next;
    return next;
  }
}

/** Reads one manifest, or undefined. Throws with the key when it is not valid JSON. */
export function readManifest(store: ObjectStore, runId: string): Promise<RunManifestData | undefined> {
  return readJsonObject<RunManifestData>(store, layout.manifest(runId));
}

/** Run ids of the stored manifests, newest first (run ids sort by time). */
export async function listRunIds(store: ObjectStore): Promise<string[]> {
  const prefix = layout.manifestPrefix();
  const objs = await store.list(prefix);
  return objs
    .map((o) => o.key.slice(prefix.length).replace(/\.json$/, ''))
    .filter((id) => id.length > 0 && !id.includes('/'))
    .sort()
    .reverse();
}

/**
 * Marks the manifest of a run that died without finishing (killed with -9, its lock taken over by
 * `byRunId`) as `failed` with `abandoned`, so that `status` does not show it `running` forever.
 * A manifest that already finished, or none, is left alone. Returns whether it wrote.
 */
export async function markAbandoned(store: ObjectStore, runId: string, byRunId: string): Promise<boolean> {
  const m = await readManifest(store, runId).catch(() => undefined);
  if (m?.status !== 'running') return false;
  const data: RunManifestData = {
    ...m,
    status: 'failed',
    finished_at: new Date().toISOString(),
    abandoned: true,
    error: {
      step: 'abandoned',
      message: `abandoned: the run stopped without finishing (its lock was taken over by run ${byRunId})`,
    },
  };
  await store.put(layout.manifest(runId), `${JSON.stringify(data, null, 2)}\n`);
  return true;
}
