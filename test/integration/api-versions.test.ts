import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockApi } from '../../src/mock/index.js';
import { runCli } from '../helpers/cli.js';
import { configureMock, readLayer } from '../helpers/lake.js';
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
async function oldVersionsInBronze(root: string, entity: string): Promise<Set<string>> {
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
    // Invoices change only in their first hour (finalized, paid), so their events are the latest
    // version only when a load saw the draft: the first load ends a minute after the creation of
    // an invoice whose `invoice.paid` event is in the old version.
    const res = await fetch(`${mock.url}/v1/events?type=invoice.paid&limit=100`, {
      headers: { authorization: 'Bearer sk_test_versions' },
    });
    const paidEvents = ((await res.json()) as { data: { api_version: string; data: { object: Obj } }[] })
      .data;
    // (created 1-20 days before the clock: the second run's events stay within Stripe's 30 days)
    const draft = paidEvents.find((e) => {
      const created = Number(e.data.object.created);
      return (
        e.api_version === '2024-06-20' &&
        created < CHANGES_NOW - 86_400 &&
        created > CHANGES_NOW - 20 * 86_400
      );
    });
    expect(draft, 'an invoice paid by an old-version event').toBeDefined();
    const firstEnd = Number(draft!.data.object.created) + 60;
    mock.setNow(firstEnd);
    const env = {
      API_BASE_URL: mock.url,
      API_KEY: 'sk_test_versions',
      LOCAL_DATA_DIR: root,
      DEFAULT_DAYS: String(CHANGES_DEFAULT_DAYS),
      LOG_LEVEL: 'warn',
    };
    const first = await runCli(['run-all', '--run-id', 'v-1', '--until', String(firstEnd)], { env });
    expect(first.code, first.stderr).toBe(0);
    // the changes since, read from /v1/events: half of them in the old shapes
    mock.setNow(CHANGES_NOW + CHANGES_STEP);
    const until = String(CHANGES_NOW + CHANGES_STEP);
    const second = await runCli(['run-all', '--run-id', 'v-2', '--until', until], { env });
    expect(second.code, second.stderr).toBe(0);
    expect(await silverVsTruth(root, mock.url)).toEqual([]);
    // not vacuous: in each table whose shapes moved, old-shaped versions are the latest of some rows
    for (const table of Object.keys(OLD_SHAPE)) {
      const old = await oldVersionsInBronze(root, table);
      const rows = await readLayer(root, 'silver', table, 'id, _version_ts, _source');
      const won = rows.filter((r) => r._source === 'events' && old.has(`${r.id}|${r._version_ts}`));
      expect(won.length, `${table} rows whose latest version is an old-shaped event`).toBeGreaterThan(0);
    }
  }, 240_000);
});
