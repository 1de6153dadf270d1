import { evaluate, type ObjectNode, parse, traverse } from '@humanwhocodes/momoa';

/**
 * JSON.parse that rejects an object repeating a key (JSON.parse keeps the last one silently; a
 * log shipper may keep either, or reject the line).
 */
export function parseStrictJson(text: string): unknown {
  const doc = parse(text);
  traverse(doc, {
    enter(node) {
      if (node.type !== 'Object') return;
      const obj = node as ObjectNode;
      const seen = new Set<string>();
      for (const m of obj.members) {
        const key = m.name.type === 'String' ? m.name.value : m.name.name;
        if (seen.has(key))
          throw new Error(`duplicate key "${key}" at line ${m.loc.start.line} column ${m.loc.start.column}`);
        seen.add(key);
      }
    },
  });
  return evaluate(doc.body);
}

/** Every line of a JSON log, each parsed strictly; names the line that fails. */
export function parseLogLines(log: string): Record<string, unknown>[] {
  return log
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l, i) => {
      try {
        return parseStrictJson(l) as Record<string, unknown>;
      } catch (err) {
        throw new Error(`log line ${i + 1}: ${(err as Error).message}: ${l.slice(0, 300)}`);
      }
    });
}
