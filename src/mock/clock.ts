/**
 * The mock's clock (unix seconds): the wall clock, optionally shifted, or frozen at a time.
 * The control API moves it; listeners hear every move (the webhook sender does).
 */
export class MockClock {
  private frozenAt: number | null;
  private offset = 0;
  private readonly listeners = new Set<(now: number) => void>();

  constructor(
    now?: number,
    private readonly wall: () => number = () => Math.floor(Date.now() / 1000),
  ) {
    this.frozenAt = now ?? null;
  }

  /** Whether the clock stands still between control calls. */
  get frozen(): boolean {
    return this.frozenAt !== null;
  }

  now(): number {
    return this.frozenAt ?? this.wall() + this.offset;
  }

  /** Sets the time (a frozen clock stays frozen; a running one jumps and runs on from there). */
  setNow(t: number): void {
    if (!Number.isFinite(t)) throw new RangeError(`clock time must be a finite number, got ${t}`);
    if (this.frozenAt !== null) this.frozenAt = Math.floor(t);
    else this.offset = Math.floor(t) - this.wall();
    this.notify();
  }

  advance(seconds: number): void {
    if (!Number.isFinite(seconds)) throw new RangeError(`advance must be a finite number, got ${seconds}`);
    this.setNow(this.now() + seconds);
  }

  onChange(fn: (now: number) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private notify(): void {
    const now = this.now();
    for (const fn of this.listeners) fn(now);
  }
}
