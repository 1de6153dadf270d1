import { describe, expect, it } from 'vitest';
import { useDuckSession } from '../../test/helpers/duck-session.js';
import { ensuringViews, lazyViews } from './lazy-views.js';
import { pooledSession } from './pooled-session.js';

const duck = useDuckSession('lazy-views-');

describe('lazyViews', () => {
  it('makes a view once, when a statement first names it, and a view it reads first', async () => {
    const views = lazyViews();
    const made: string[] = [];
    views.define('lv_base', async () => {
      made.push('lv_base');
      await duck.session.conn.run('create or replace view lv_base as select 1 as n');
    });
    views.define('lv_top', async () => {
      await views.ensure('lv_base');
      made.push('lv_top');
      await duck.session.conn.run('create or replace view lv_top as select n + 1 as n from lv_base');
    });
    const session = ensuringViews(duck.session, views.ensure);
    // a longer identifier holding a view's name is another name
    await session.rows(`select 'not_lv_top' as s`);
    expect(made).toEqual([]);
    expect(await session.rows('select n from lv_top')).toEqual([{ n: 2 }]);
    expect(made).toEqual(['lv_base', 'lv_top']);
    // two statements at once naming it: made once
    await Promise.all([session.rows('select * from lv_top'), session.conn.run('select * from lv_top')]);
    expect(made).toEqual(['lv_base', 'lv_top']);
  });

  it('a view whose making failed is made again by the next statement', async () => {
    const views = lazyViews();
    let attempts = 0;
    views.define('lv_flaky', async () => {
      attempts++;
      if (attempts === 1) throw new Error('download failed');
      await duck.session.conn.run('create or replace view lv_flaky as select 7 as n');
    });
    const session = ensuringViews(duck.session, views.ensure);
    await expect(session.rows('select n from lv_flaky')).rejects.toThrow('download failed');
    expect(await session.rows('select n from lv_flaky')).toEqual([{ n: 7 }]);
    expect(attempts).toBe(2);
  });

  it('on a pooled session, a view is made on the connection of the statement that names it', async () => {
    const pool = await pooledSession(duck.session, 2, { keepBase: true });
    const views = lazyViews();
    const madeOn: unknown[] = [];
    views.define('lv_pooled', async () => {
      madeOn.push(pool.conn);
      await pool.conn.run('create or replace view lv_pooled as select 3 as n');
    });
    const session = ensuringViews(pool, views.ensure);
    try {
      let used: unknown;
      const rows = await session.withConnection(async () => {
        used = pool.conn;
        // a temp table is the connection's own: it is there only on the caller's connection
        await session.conn.run('create temp table lv_mine as select 1 as x');
        return session.rows<{ n: number }>('select n from lv_pooled, lv_mine');
      });
      expect(rows).toEqual([{ n: 3 }]);
      expect(madeOn).toEqual([used]);
      // the view is the database's: every connection reads it
      expect(await session.withConnection(() => session.rows('select n from lv_pooled'))).toEqual([{ n: 3 }]);
      expect(session.size).toBe(2);
    } finally {
      session.close();
    }
  });
});
