import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { QuarantineSink } from '../quarantine/sink.js';
import { LocalObjectStore } from '../storage/local-store.js';
import { quarantineChecks } from './quarantine.js';

describe('quarantine.<entity>', () => {
  it('warns per entity with counts per run and examples, and says nothing for entities without', async () => {
    const store = new LocalObjectStore(await mkdtemp(join(tmpdir(), 'pp-quarantine-')));
    expect(await quarantineChecks(store)).toEqual([]);
    for (const runId of ['r1', 'r2']) {
      const q = new QuarantineSink(store, runId);
      q.add({
        entity: 'customers',
        source: 'api',
        path: '/v1/customers',
        reason: 'created 1e20',
        raw: Buffer.from('{"id":"a"}'),
      });
      q.add({
        entity: 'customers',
        source: 'api',
        path: '/v1/customers',
        reason: 'bad',
        raw: Buffer.from([0xff, 0x00]),
      });
      await q.close();
      expect(q.writtenKeys).toEqual([
        `_quarantine/source=stripe/entity=customers/run_id=${runId}/part-00000.jsonl`,
      ]);
    }
    const checks = await quarantineChecks(store);
    expect(checks.map((c) => [c.name, c.severity])).toEqual([['quarantine.customers', 'warn']]);
    const result = await checks[0]!.run();
    expect(result.passed).toBe(false);
    expect(result.details).toMatchObject({ records: 4, by_run: { r1: 2, r2: 2 } });
    expect((result.details.examples as { reason: string; line: number }[])[0]).toMatchObject({
      reason: 'created 1e20',
      line: 1,
    });
    const raw = Buffer.from((await store.get(q2Key()))!)
      .toString()
      .split('\n')[1]!;
    expect(JSON.parse(raw)).toMatchObject({
      raw: Buffer.from([0xff, 0x00]).toString('base64'),
      raw_encoding: 'base64',
    });
  });
});

const q2Key = () => '_quarantine/source=stripe/entity=customers/run_id=r2/part-00000.jsonl';
