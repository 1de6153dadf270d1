/**
 * Bytes of Bronze JSON one statement reads at most. DuckDB's JSON reader keeps memory outside its
 * limit in proportion to what one statement reads: the ids of 1 GB of events (30 files) took the
 * process to 1.1 GB RSS in one statement, 430 MB in chunks of 5 files (1m charges, measured).
 */
export const MAX_READ_BYTES = 128 * 1024 * 1024;

/**
 * Splits `keys`, in order, into chunks of at most `maxBytes` (a larger single key is a chunk of
 * its own). An unknown size counts as zero.
 *
 * @example
 * chunksOfBytes(['a', 'b', 'c'], new Map([['a', 60], ['b', 60], ['c', 10]]), 100) // [['a'], ['b', 'c']]
 */
export function chunksOfBytes(
  keys: readonly string[],
  sizes: ReadonlyMap<string, number>,
  maxBytes = MAX_READ_BYTES,
): string[][] {
  const out: string[][] = [];
  let chunk: string[] = [];
  let bytes = 0;
  for (const k of keys) {
    const size = sizes.get(k) ?? 0;
    if (chunk.length > 0 && bytes + size > maxBytes) {
      out.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(k);
    bytes += size;
  }
  if (chunk.length > 0) out.push(chunk);
  return out;
}
