import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseSettings } from '../../src/config/settings.js';
import { silentLogger } from '../../src/obs/logger.js';
import { LocalObjectStore } from '../../src/storage/local-store.js';
import { ReferenceProbe } from '../../src/transform/reference-probe.js';
import { runTransform } from '../../src/transform/run-transform.js';
import { at, makeCharge, makeCustomer, makeRefund, writeObjects } from '../fixtures/bronze/factories.js';

const D1 = '2024-01-01';
let root: string;
let store: LocalObjectStore;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'pp-refprobe-'));
  store = new LocalObjectStore(root);
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('ReferenceProbe', () => {
  it("finds what a round's objects reference that neither Silver, that round nor an earlier one holds", async () => {
    // Silver: one customer and its charge
    const cus1 = makeCustomer();
    await writeObjects(store, 'customers', D1, '20240110T000000Z-aaaaaa', [cus1]);
    await writeObjects(store, 'charges', D1, '20240110T000000Z-aaaaaa', [makeCharge({ customer: cus1.id })]);
    await runTransform({
      store,
      settings: parseSettings({}),
      logger: silentLogger(),
      runId: 'r1',
      until: at('2024-01-20'),
      gold: false,
    });
    const silverBefore = (await store.list('silver/')).map((o) => `${o.key}:${o.size}:${o.modifiedMs}`);

    const probe = await ReferenceProbe.open(store, '256MB');
    try {
      // round 1: a charge of an unknown customer, one of the Silver customer, and a refund of the
      // first charge (fetched in this very round)
      const ch2 = makeCharge({ customer: 'cus_unknown2' });
      const round1 = [
        await writeObjects(store, 'charges', D1, '20240111T000000Z-bbbbbb', [
          ch2,
          makeCharge({ customer: cus1.id }),
        ]),
        await writeObjects(store, 'refunds', D1, '20240111T000000Z-bbbbbb', [makeRefund({ charge: ch2.id })]),
      ];
      expect(await probe.missing(round1)).toEqual([{ table: 'customers', id: 'cus_unknown2' }]);

      // round 2: that customer, a refund of round 1's charge, and one of a charge nothing holds
      const round2 = [
        await writeObjects(store, 'customers', D1, '20240112T000000Z-cccccc', [
          makeCustomer({ id: 'cus_unknown2' }),
        ]),
        await writeObjects(store, 'refunds', D1, '20240112T000000Z-cccccc', [
          makeRefund({ charge: ch2.id }),
          makeRefund({ charge: 'ch_nowhere' }),
        ]),
      ];
      expect(await probe.missing(round2)).toEqual([{ table: 'charges', id: 'ch_nowhere' }]);
    } finally {
      await probe.close();
    }
    // the probe reads Silver, it never writes it: the fetched objects are built after the pass
    expect((await store.list('silver/')).map((o) => `${o.key}:${o.size}:${o.modifiedMs}`)).toEqual(
      silverBefore,
    );
  });
});
