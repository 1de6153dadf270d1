import pLimit, { type LimitFunction } from 'p-limit';

export interface SliceSchedulerOptions<T> {
  /** Slices running at once, all groups together. */
  readonly concurrency: number;
  /** Once aborted, waiting slices do not start and no group completes. */
  readonly signal: AbortSignal;
  /** Slices of one group complete together (an entity's listing; the events pass). */
  readonly groupOf: (task: T) => string;
  readonly run: (task: T) => Promise<void>;
  /** Called once per group, with its last slice, when every slice of the group succeeded. */
  readonly onGroupDone: (task: T) => Promise<void>;
  /** The first failure of a slice or a completion (the caller aborts the rest). */
  readonly onError: (error: unknown) => void;
}

/**
 * Runs slices under one concurrency limit and completes each group when its last slice is done.
 * A slice may schedule more slices of its group while it runs (a dense slice splitting its older
 * part): the group completes only when those are done too. A failed slice never completes its
 * group.
 *
 * @example
 * const s = new SliceScheduler({ concurrency: 8, signal, groupOf: (t) => t.entity, run, onGroupDone, onError });
 * for (const t of tasks) s.schedule(t);
 * await s.drain();
 */
export class SliceScheduler<T> {
  private readonly pending = new Map<string, number>();
  private readonly inflight = new Set<Promise<void>>();
  private readonly limit: LimitFunction;

  constructor(private readonly opts: SliceSchedulerOptions<T>) {
    this.limit = pLimit(opts.concurrency);
  }

  /** Slices waiting for a free slot: fewer than the workers means the run is short of work. */
  get waiting(): number {
    return this.limit.pendingCount;
  }

  schedule(task: T): void {
    const group = this.opts.groupOf(task);
    this.pending.set(group, (this.pending.get(group) ?? 0) + 1);
    this.track(
      this.limit(async () => {
        if (this.opts.signal.aborted) return;
        await this.opts.run(task);
      }).then(async () => {
        const left = (this.pending.get(group) ?? 1) - 1;
        this.pending.set(group, left);
        if (left === 0 && !this.opts.signal.aborted) await this.opts.onGroupDone(task);
      }),
    );
  }

  /** Completes a group that has nothing to run (an empty window is still a completed load). */
  completeEmpty(task: T): void {
    this.pending.set(this.opts.groupOf(task), 1);
    this.track(this.opts.onGroupDone(task));
  }

  /** Resolves when every slice and completion, including ones scheduled meanwhile, has settled. */
  async drain(): Promise<void> {
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
  }

  private track(work: Promise<void>): void {
    const p: Promise<void> = work.catch(this.opts.onError).finally(() => this.inflight.delete(p));
    this.inflight.add(p);
  }
}
