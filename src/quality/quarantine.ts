import { layout } from '../storage/layout.js';
import type { ObjectStore } from '../storage/object-store.js';
import type { PlannedCheck } from './types.js';

const KEY = /^_quarantine\/source=stripe\/entity=([^/]+)\/run_id=([^/]+)\/[^/]+$/;
const EXAMPLES = 5;

/**
 * `quarantine.<entity>` (warn, SPEC 9 and 15): one check per entity with records set aside as
 * unreadable under `_quarantine/`, failing with their count, the runs that set them aside and a
 * few examples (key, reason, where from). Records stay there for a person to look at; removing
 * them after review clears the warning. No check for an entity with none.
 */
export async function quarantineChecks(store: ObjectStore): Promise<PlannedCheck[]> {
  const byEntity = new Map<string, { key: string; runId: string }[]>();
  for (const o of await store.list(layout.quarantinePrefix())) {
    const m = KEY.exec(o.key);
    if (!m) continue;
    const list = byEntity.get(m[1]!) ?? [];
    list.push({ key: o.key, runId: m[2]! });
    byEntity.set(m[1]!, list);
  }
  return [...byEntity].map(([entity, parts]) => ({
    name: `quarantine.${entity}`,
    severity: 'warn' as const,
    run: async () => {
      let records = 0;
      const byRun: Record<string, number> = {};
      const examples: { key: string; line: number; reason: string; path?: string }[] = [];
      for (const part of parts) {
        const text = Buffer.from((await store.get(part.key)) ?? new Uint8Array()).toString('utf8');
        const lines = text.split('\n').filter((l) => l.length > 0);
        records += lines.length;
        byRun[part.runId] = (byRun[part.runId] ?? 0) + lines.length;
        for (let i = 0; i < lines.length && examples.length < EXAMPLES; i++) {
          let reason = 'unreadable quarantine line';
          let path: string | undefined;
          try {
            ({ reason, path } = JSON.parse(lines[i]!) as { reason: string; path?: string });
          } catch {}
          examples.push({ key: part.key, line: i + 1, reason, ...(path ? { path } : {}) });
        }
      }
      return {
        name: `quarantine.${entity}`,
        severity: 'warn' as const,
        passed: records === 0,
        details: { records, by_run: byRun, examples },
      };
    },
  }));
}
