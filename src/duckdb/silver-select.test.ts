import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { path } from '../contracts/silver-columns.js';
import { columnExpression, silverSelectList } from './silver-select.js';

describe('silverSelectList', () => {
  it('reads the paths into one JSON field through one json_extract, written alike in every column', () => {
    const list = silverSelectList('events');
    const extracts = list.match(/json_extract\(obj\."data", \[[^\]]*\]\)/g) ?? [];
    // data_object_id, data_object_type and previous_attributes share one expression (DuckDB
    // computes an expression repeated in a select list once)
    expect(extracts).toHaveLength(3);
    expect(new Set(extracts)).toEqual(
      new Set([`json_extract(obj."data", ['$.object.id', '$.object.object', '$.previous_attributes'])`]),
    );
    // a field read by one path keeps its own operator
    expect(list).toContain(`obj."request" ->> '$.id' as "request_id"`);
  });
});

describe('columnExpression with a shared path list', () => {
  it('gives what a path of its own gives, for text, JSON and cast columns, present, null or missing', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const shared = ['$.a', '$.b.c', '$.n'];
    const columns = [
      path('a', 'VARCHAR', 'j', '$.a'),
      path('c', 'JSON', 'j', '$.b.c'),
      path('n', 'BIGINT', 'j', '$.n'),
    ];
    const select = (own: boolean) =>
      columns.map((c) => `${columnExpression(c, own ? undefined : shared)} as ${c.name}`).join(', ');
    const values = [
      '{"a": "x", "b": {"c": {"d": [1, "two"]}}, "n": 7}',
      '{"a": null, "b": {"c": null}, "n": null}',
      '{"a": 5, "b": {"c": "s"}, "n": "12"}',
      '{"a": {"k": 1}, "b": 3}',
      '{}',
    ];
    const read = async (own: boolean) =>
      (
        await conn.runAndReadAll(
          `select i, ${select(own)} from (select unnest(range(${values.length})) as i, unnest([${values
            .map((v) => `'${v}'::JSON`)
            .join(', ')}]) as j) t, (select t.j as j) obj order by i`,
        )
      ).getRowObjectsJson();
    const own = await read(true);
    const sharedRows = await read(false);
    conn.closeSync();
    db.closeSync();
    expect(sharedRows).toEqual(own);
    // and the values are the ones a reader expects, so that the comparison is not of two NULLs
    expect(own[0]).toMatchObject({ a: 'x', c: '{"d":[1,"two"]}', n: '7' });
    expect(own[1]).toMatchObject({ a: null, c: 'null', n: null });
    expect(own[3]).toMatchObject({ a: '{"k":1}', c: null, n: null });
  });
});
