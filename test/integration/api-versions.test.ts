import { mkdtemp } from 'node:fs/promises';
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
import { readLayer } from '../helpers/lake.js';
import { configureMock } from '../helpers/mock-control.js';
import { CHANGES_NOW, CHANGES_WORLD } from '../helpers/truth-compare.js';

type Mock = Awaited<ReturnType<typeof startMockApi>>;
type Obj = Record<string, unknown>;

/**
 * Silver over events of two API versions. The CLI's run over a mock serving half of its events in
 * the pre-2025 shapes, Silver equal to the truth, is the SaaS lifecycle's
 * (saas-lifecycle.test.ts, on disk and on S3); here: the mock's setting, and each event's two
 * shapes building the same Silver row.
 */
describe('Silver over events of two API versions', () => {
  let mock: Mock;
  beforeAll(async () => {
    mock = await startMockApi({ ...CHANGES_WORLD, now: CHANGES_NOW, port: 0, quiet: true });
  });
  afterAll(async () => {
    await mock?.close();
  });

  it('the mock takes an old_version_share from 0 to 1, and says what is wrong with another', async () => {
    await configureMock(mock.url, { old_version_share: 0.5 });
    const config = (await (await fetch(`${mock.url}/_mock/config`)).json()) as Obj;
    expect(config.old_version_share).toBe(0.5);
    const bad = await fetch(`${mock.url}/_mock/config`, { method: 'POST', body: '{"old_version_share": 2}' });
    expect([bad.status, ((await bad.json()) as { error: { message: string } }).error.message]).toEqual([
      400,
      'invalid old_version_share: 2 (expected 0 to 1)',
    ]);
  });

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
