import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BronzeRecord } from '../../src/bronze/envelope.js';
import { parseSettings } from '../../src/config/settings.js';
import { Dataset, startMockApi } from '../../src/mock/index.js';
import { silentLogger } from '../../src/obs/logger.js';
import { LocalObjectStore } from '../../src/storage/local-store.js';
import { runTransform } from '../../src/transform/run-transform.js';
import { meta, writeBronze } from '../fixtures/bronze/factories.js';
import { runCli } from '../helpers/cli.js';
import { readLayer } from '../helpers/lake.js';
import { configureMock } from '../helpers/mock-control.js';
import {
  CHANGES_DEFAULT_DAYS,
  CHANGES_NOW,
  CHANGES_STEP,
  CHANGES_WORLD,
  silverVsTruth,
} from '../helpers/truth-compare.js';

type Mock = Awaited<ReturnType<typeof startMockApi>>;
type Obj = Record<string, unknown>;

/** Whether a Bronze object is in the pre-2025 shape the mock's old-version events carry. */
const OLD_SHAPE: Record<string, (o: Obj) => boolean> = {
  invoices: (o) => !('parent' in o) && 'subscription' in o,
  subscriptions: (o) => 'current_period_start' in o,
  charges: (o) => 'invoice' in o,
};

/** `id|version_ts` of every old-shaped version in an entity's Bronze (events only carry them). */
async function oldVersionsInBronze(root: string, entity: keyof typeof OLD_SHAPE): Promise<Set<string>> {
  const out = new Set<string>();
  const dir = join(root, 'bronze/source=stripe', `entity=${entity}`);
  const files = (await readdir(dir, { recursive: true })).filter((f) => f.endsWith('.jsonl'));
  for (const file of files) {
    for (const line of (await readFile(join(dir, file), 'utf8')).split('\n')) {
      if (!line) continue;
      const { data, meta } = JSON.parse(line) as { data: Obj; meta: Obj };
      if (OLD_SHAPE[entity]!(data)) out.add(`${data.id}|${meta.version_ts}`);
    }
  }
  return out;
}

describe('Silver over events of two API versions', () => {
  let mock: Mock;
  let root: string;
  beforeAll(async () => {
    mock = await startMockApi({ ...CHANGES_WORLD, now: CHANGES_NOW, port: 0, quiet: true });
    root = await mkdtemp(join(tmpdir(), 'pp-versions-'));
  });
  afterAll(async () => {
    await mock?.close();
  });

  it('equals the truth (current-version objects) when half the events are in the pre-2025 shapes', async () => {
    await configureMock(mock.url, { old_version_share: 0.5 });
    const config = (await (await fetch(`${mock.url}/_mock/config`)).json()) as Obj;
    expect(config.old_version_share).toBe(0.5);
    const bad = await fetch(`${mock.url}/_mock/config`, { method: 'POST', body: '{"old_version_share": 2}' });
    expect([bad.status, ((await bad.json()) as { error: { message: string } }).error.message]).toEqual([
      400,
      'invalid old_version_share: 2 (expected 0 to 1)',
    ]);
    // a first load 10 days before the clock, so the incremental run reads 17 days of changes
    // (plan periods, cancellations, refunds) through /v1/events, half of them in the old shapes
    const firstEnd = CHANGES_NOW - 10 * 86_400;
    mock.setNow(firstEnd);
    const env = {
      API_BASE_URL: mock.url,
      API_KEY: 'sk_test_versions',
      LOCAL_DATA_DIR: root,
      DEFAULT_DAYS: String(CHANGES_DEFAULT_DAYS),
      LOG_LEVEL: 'warn',
    };
    // extract and transform (the references pass, checks and publishing add nothing here: the
    // first window covers the whole history)
    const load = async (runId: string, until: number) => {
      for (const args of [
        ['extract', '--run-id', runId, '--until', String(until)],
        ['transform', '--run-id', `${runId}-t`],
      ]) {
        const r = await runCli(args, { env });
        expect(r.code, r.stderr).toBe(0);
      }
    };
    await load('v-1', firstEnd);
    mock.setNow(CHANGES_NOW + CHANGES_STEP);
    await load('v-2', CHANGES_NOW + CHANGES_STEP);
    expect(await silverVsTruth(root, mock.url)).toEqual([]);
    // not vacuous: old-shaped versions are the latest of some rows. Only changes after the load
    // that listed an object come from events: subscriptions change every period, while the
    // mock's invoices change in their first hour only and few charges change later, so each
    // event's shapes are compared in the next test instead
    const old = await oldVersionsInBronze(root, 'subscriptions');
    const rows = await readLayer(root, 'silver', 'subscriptions', 'id, _version_ts, _source');
    const won = rows.filter((r) => r._source === 'events' && old.has(`${r.id}|${r._version_ts}`));
    expect(won.length, 'subscriptions whose latest version is old-shaped').toBeGreaterThan(0);
  }, 240_000);

  it('every invoice, subscription and charge event builds the same Silver row in either version', async () => {
    // the mock's own events of the changes world, each in both versions, as two Bronze lakes
    const ds = new Dataset(CHANGES_WORLD.seed, CHANGES_WORLD, CHANGES_NOW);
    const bronzeOf = (share: number): Map<string, BronzeRecord[]> => {
      ds.oldVersionShare = share;
      const byEntity = new Map<string, BronzeRecord[]>();
      for (const text of ds.truth('events', CHANGES_NOW)) {
        const e = JSON.parse(text) as { id: string; created: number; data: { object: Obj } };
        const entity = ENTITY_OF[String(e.data.object.object)];
        if (!entity) continue;
        const record = {
          data: e.data.object,
          meta: meta(entity, { source: 'events', version_ts: e.created, event_id: e.id, run_id: 'v' }),
        };
        byEntity.set(entity, [...(byEntity.get(entity) ?? []), record]);
      }
      return byEntity;
    };
    const lakes = await Promise.all(
      [bronzeOf(0), bronzeOf(1)].map(async (byEntity, share) => {
        const dir = await mkdtemp(join(tmpdir(), `pp-versions-silver-${share}-`));
        const store = new LocalObjectStore(dir);
        for (const [entity, records] of byEntity)
          await writeBronze(store, entity, '2024-06-15', 'v', records);
        await runTransform({
          store,
          settings: parseSettings({}),
          logger: silentLogger(),
          runId: 'v',
          until: CHANGES_NOW,
          gold: false,
        });
        return { dir, byEntity };
      }),
    );
    for (const entity of Object.values(ENTITY_OF)) {
      const [current, old] = lakes.map((l) => l.byEntity.get(entity) ?? []);
      // the two lakes hold the same versions in different shapes
      expect(current!.length, entity).toBeGreaterThan(20);
      expect(old!.filter((r, k) => JSON.stringify(r.data) !== JSON.stringify(current![k]!.data)).length).toBe(
        old!.length,
      );
      const [a, b] = await Promise.all(
        lakes.map((l) => readLayer(l.dir, 'silver', entity, '* exclude (_bronze_key)').then(byId)),
      );
      expect(a!.length, entity).toBeGreaterThan(10);
      expect(b, entity).toEqual(a);
    }
  }, 120_000);
});

const ENTITY_OF: Record<string, string> = {
  invoice: 'invoices',
  subscription: 'subscriptions',
  charge: 'charges',
};

/** A JSON value with sorted keys (JSON columns equal as values, not as texts). */
const sortedKeys = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(sortedKeys)
    : v && typeof v === 'object'
      ? Object.fromEntries(
          Object.entries(v)
            .sort(([x], [y]) => (x < y ? -1 : 1))
            .map(([k, x]) => [k, sortedKeys(x)]),
        )
      : v;

/** Rows by id, JSON columns parsed. */
const byId = (rows: Record<string, unknown>[]) =>
  rows
    .map((r) =>
      Object.fromEntries(
        Object.entries(r).map(([k, v]) => [
          k,
          typeof v === 'string' && /^[[{]/.test(v) ? sortedKeys(JSON.parse(v)) : v,
        ]),
      ),
    )
    .sort((x, y) => String(x.id).localeCompare(String(y.id)));
