/**
 * A compact, sorted index of one entity: typed arrays of created times and packed refs, ordered
 * by (created, hi, lo, v) ascending, so lists (newest first) walk it backwards and every range
 * query is a binary search. This is all the mock keeps in memory; objects are built on demand.
 */

class Grow {
  a: Uint32Array;
  n = 0;
  constructor(cap = 1024) {
    this.a = new Uint32Array(cap);
  }
  push(x: number): void {
    if (this.n === this.a.length) {
      const b = new Uint32Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = x;
  }
}

/** Collects entries in any order; `finish()` sorts them into a `SortedIndex`. */
export class IndexBuilder {
  private readonly created = new Grow();
  private readonly hi = new Grow();
  private readonly lo = new Grow();
  private readonly extra = new Grow(); // v << 8 | type, for events

  push(created: number, hi: number, lo: number, v = 0, type = 0): void {
    this.created.push(created);
    this.hi.push(hi);
    this.lo.push(lo);
    this.extra.push(v * 256 + type);
  }

  get size(): number {
    return this.created.n;
  }

  finish(): SortedIndex {
    const n = this.created.n;
    const c = this.created.a;
    const order = sortOrder(c, n);
    // Ties on created: order by packed ref (= id order, ids encode the ref in ASCII order).
    const hi = this.hi.a;
    const lo = this.lo.a;
    const ex = this.extra.a;
    let start = 0;
    while (start < n) {
      let end = start + 1;
      const t = c[order[start]!]!;
      while (end < n && c[order[end]!] === t) end++;
      // Runs are short (a few objects created in the same second): insertion sort in place.
      for (let a = start + 1; a < end; a++) {
        const x = order[a]!;
        let b = a - 1;
        while (b >= start) {
          const y = order[b]!;
          const cmp = hi[y]! - hi[x]! || lo[y]! - lo[x]! || ex[y]! - ex[x]!;
          if (cmp <= 0) break;
          order[b + 1] = y;
          b--;
        }
        order[b + 1] = x;
      }
      start = end;
    }
    const out = new SortedIndex(n);
    for (let k = 0; k < n; k++) {
      const p = order[k]!;
      out.created[k] = c[p]!;
      out.hi[k] = hi[p]!;
      out.lo[k] = lo[p]!;
      out.v[k] = ex[p]! >>> 8;
      out.type[k] = ex[p]! & 255;
    }
    return out;
  }
}

/** Positions 0..n-1 ordered by created, using a native numeric sort of composite keys. */
function sortOrder(created: Uint32Array, n: number): Uint32Array {
  const order = new Uint32Array(n);
  if (n === 0) return order;
  let min = Number.POSITIVE_INFINITY;
  let max = 0;
  for (let k = 0; k < n; k++) {
    const t = created[k]!;
    if (t < min) min = t;
    if (t > max) max = t;
  }
  const posBits = Math.ceil(Math.log2(n + 1));
  const rangeBits = Math.ceil(Math.log2(max - min + 2));
  if (posBits + rangeBits <= 52) {
    const scale = 2 ** posBits;
    const keys = new Float64Array(n);
    for (let k = 0; k < n; k++) keys[k] = (created[k]! - min) * scale + k;
    keys.sort();
    for (let k = 0; k < n; k++) order[k] = keys[k]! % scale;
    return order;
  }
  for (let k = 0; k < n; k++) order[k] = k;
  return order.sort((x, y) => created[x]! - created[y]! || x - y);
}

export class SortedIndex {
  readonly created: Uint32Array;
  readonly hi: Uint32Array;
  readonly lo: Uint32Array;
  /** Version number (events only). */
  readonly v: Uint8Array;
  /** Event type code (events only). */
  readonly type: Uint8Array;

  constructor(readonly length: number) {
    this.created = new Uint32Array(length);
    this.hi = new Uint32Array(length);
    this.lo = new Uint32Array(length);
    this.v = new Uint8Array(length);
    this.type = new Uint8Array(length);
  }

  /** First position whose created is >= t. */
  lowerBound(t: number): number {
    let a = 0;
    let b = this.length;
    while (a < b) {
      const m = (a + b) >>> 1;
      if (this.created[m]! < t) a = m + 1;
      else b = m;
    }
    return a;
  }

  /** First position whose created is > t. */
  upperBound(t: number): number {
    return this.lowerBound(t + 1);
  }

  /** Position of an entry, or -1. */
  find(created: number, hi: number, lo: number, v = 0): number {
    for (let p = this.lowerBound(created); p < this.length && this.created[p] === created; p++) {
      if (this.hi[p] === hi && this.lo[p] === lo && this.v[p] === v) return p;
    }
    return -1;
  }

  /** Bytes held (for the benchmark's memory report). */
  get bytes(): number {
    return this.length * 14;
  }
}
