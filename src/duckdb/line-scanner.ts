import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { PayloadFields } from '../contracts/silver.js';

const META_FIELDS: PayloadFields = {
  entity: 'VARCHAR',
  run_id: 'VARCHAR',
  ingested_at: 'VARCHAR',
  source: 'VARCHAR',
  version_ts: 'BIGINT',
  event_id: 'VARCHAR',
  deleted: 'BOOLEAN',
};

/** Why a value does not fit its declared type, or undefined when it fits (null always fits). */
function typeProblem(value: unknown, type: PayloadFields[string]): string | undefined {
  if (value === null || value === undefined || type === 'JSON') return undefined;
  const ok =
    type === 'VARCHAR'
      ? typeof value === 'string'
      : type === 'BIGINT'
        ? typeof value === 'number' && Number.isInteger(value)
        : type === 'DOUBLE'
          ? typeof value === 'number'
          : typeof value === 'boolean';
  return ok ? undefined : `expected ${type}, got ${JSON.stringify(value).slice(0, 60)}`;
}

function checkObject(obj: unknown, fields: PayloadFields, path: string): string | undefined {
  if (obj === null || obj === undefined) return undefined;
  if (typeof obj !== 'object' || Array.isArray(obj)) return `${path} is not an object`;
  const rec = obj as Record<string, unknown>;
  for (const [k, t] of Object.entries(fields)) {
    const p = typeProblem(rec[k], t);
    if (p) return `field ${path}.${k}: ${p}`;
  }
  return undefined;
}

/** How the records of one file are shaped: the payload directly, or inside a webhook event. */
export type RecordShape =
  | { kind: 'object'; payload: PayloadFields }
  | { kind: 'webhook'; payload: PayloadFields };

/**
 * Scans one Bronze file line by line for the first record DuckDB would reject: not JSON, not an
 * envelope, or a declared field of the wrong JSON type. Returns its 1-based line and the reason.
 */
export async function locateBadLine(
  path: string,
  shape: RecordShape,
): Promise<{ line: number; reason: string } | undefined> {
  const rl = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Number.POSITIVE_INFINITY });
  let n = 0;
  try {
    for await (const text of rl) {
      n += 1;
      if (text.trim() === '') continue;
      let rec: unknown;
      try {
        rec = JSON.parse(text);
      } catch (err) {
        return { line: n, reason: `not JSON (${(err as Error).message})` };
      }
      if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) {
        return { line: n, reason: 'not a JSON object' };
      }
      const env = rec as { data?: unknown; meta?: unknown };
      const metaProblem = checkObject(env.meta, META_FIELDS, 'meta');
      if (metaProblem) return { line: n, reason: metaProblem };
      let problem: string | undefined;
      if (shape.kind === 'object') {
        problem = checkObject(env.data, shape.payload, 'data');
      } else {
        const ev = env.data as { data?: { object?: unknown } } | undefined;
        problem =
          checkObject(env.data, { id: 'VARCHAR', type: 'VARCHAR', created: 'BIGINT' }, 'data') ??
          checkObject(ev?.data?.object, shape.payload, 'data.data.object');
      }
      if (problem) return { line: n, reason: problem };
    }
  } finally {
    rl.close();
  }
  return undefined;
}

/** File and line named in a DuckDB JSON reader error, if any. */
export function fileOfDuckdbError(message: string): { path: string; line?: number } | undefined {
  const m = /in file "([^"]+)"(?:,)?(?: at byte \d+)?(?:,)? in (?:line|record\/value) (\d+)/.exec(message);
  if (m) return { path: m[1]!, line: Number(m[2]) };
  const f = /in file "([^"]+)"/.exec(message);
  return f ? { path: f[1]! } : undefined;
}
