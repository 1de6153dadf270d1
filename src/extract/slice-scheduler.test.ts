import { describe, expect, it } from 'vitest';
import { SliceScheduler } from './slice-scheduler.js';

interface T {
  group: string;
  n: number;
}

const make = (run: (t: T, s: SliceScheduler<T>) => Promise<void>, signal = new AbortController().signal) => {
  const done: string[] = [];
  const errors: unknown[] = [];
  const s: SliceScheduler<T> = new SliceScheduler<T>({
    concurrency: 2,
    signal,
    groupOf: (t) => t.group,
    run: (t) => run(t, s),
    onGroupDone: async (t) => {
      done.push(t.group);
    },
    onError: (e) => errors.push(e),
  });
  return { s, done, errors };
};

describe('SliceScheduler', () => {
  it('completes each group once, after its last slice, including slices added while running', async () => {
    const ran: string[] = [];
    const { s, done } = make(async (t, sch) => {
      ran.push(`${t.group}${t.n}`);
      if (t.n === 1) sch.schedule({ group: t.group, n: 9 });
      await new Promise((r) => setImmediate(r));
    });
    s.schedule({ group: 'a', n: 1 });
    s.schedule({ group: 'a', n: 2 });
    s.schedule({ group: 'b', n: 2 });
    await s.drain();
    expect(ran.sort()).toEqual(['a1', 'a2', 'a9', 'b2']);
    expect(done.sort()).toEqual(['a', 'b']);
  });

  it('never completes a group with a failed slice, and reports the failure', async () => {
    const boom = new Error('boom');
    const { s, done, errors } = make(async (t) => {
      if (t.n === 1) throw boom;
    });
    s.schedule({ group: 'a', n: 1 });
    s.schedule({ group: 'a', n: 2 });
    s.schedule({ group: 'b', n: 2 });
    await s.drain();
    expect(done).toEqual(['b']);
    expect(errors).toEqual([boom]);
  });

  it('once aborted, starts no waiting slice and completes no group', async () => {
    const ctl = new AbortController();
    const ran: number[] = [];
    const { s, done } = make(async (t) => {
      ran.push(t.n);
      ctl.abort();
    }, ctl.signal);
    for (let n = 1; n <= 5; n++) s.schedule({ group: 'a', n });
    expect(s.waiting).toBe(3);
    await s.drain();
    expect(ran).toEqual([1]);
    expect(done).toEqual([]);
  });

  it('completes an empty group at once', async () => {
    const { s, done } = make(async () => {});
    s.completeEmpty({ group: 'empty', n: 0 });
    await s.drain();
    expect(done).toEqual(['empty']);
  });
});
