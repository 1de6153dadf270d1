import cliProgress from 'cli-progress';
import { redirectTerminal } from './terminal.js';

export interface ProgressUpdate {
  entity: string;
  pages: number;
  records: number;
  retries: number;
}

/** Live progress in a terminal over every stage; a no-op elsewhere (JSON logs say it all). */
export interface Progress {
  stage(name: string): void;
  /** Extraction: one entity's running totals. */
  update(u: ProgressUpdate): void;
  /** Transform: a model built (`done` of `total` in this pass), with its partitions. */
  model(p: { model: string; done: number; total: number; partitions: number }): void;
  /** Quality: a check finished. */
  check(p: { name: string; done: number; total: number; passed: boolean }): void;
  stop(): void;
}

/**
 * Records per second of an entity from the start of extraction to its latest page: frozen once
 * the entity is done, never diluted by the stages after it.
 */
export function extractionRate(records: number, startedAt: number, lastAt: number): string {
  const seconds = (lastAt - startedAt) / 1000;
  return seconds < 0.2 ? '-' : String(Math.round(records / seconds));
}

/** ANSI "erase from the cursor to the end of the screen" (cursor control, not colour). */
const ERASE_DOWN = '\u001b[J';

const ANSI_SGR = /\u001b\[[0-9;]*m/y;

/**
 * The line cut to `width` visible characters (colour codes do not count and are kept whole; a cut
 * line ends with a reset and `…`).
 */
export function fitLine(line: string, width: number): string {
  let visible = 0;
  let out = '';
  for (let i = 0; i < line.length; ) {
    ANSI_SGR.lastIndex = i;
    const m = ANSI_SGR.exec(line);
    if (m) {
      out += m[0];
      i += m[0].length;
      continue;
    }
    const ch = String.fromCodePoint(line.codePointAt(i) ?? 0);
    if (visible === width - 1 && i + ch.length < line.length) return `${out}\u001b[0m…`;
    out += ch;
    visible++;
    i += ch.length;
  }
  return out;
}

const NOOP: Progress = { stage() {}, update() {}, model() {}, check() {}, stop() {} };

export function createProgress(interactive: boolean, color = interactive): Progress {
  if (!interactive) return NOOP;
  const multi = new cliProgress.MultiBar(
    {
      format: ' {entity} {bar} {records} records | {pages} pages | {rate} rec/s | {retries} retries',
      hideCursor: true,
      clearOnComplete: false,
      stream: process.stderr,
      fps: 5,
      barsize: 20,
      ...(color ? {} : { barCompleteChar: '#', barIncompleteChar: '-' }),
    },
    color ? cliProgress.Presets.shades_classic : cliProgress.Presets.legacy,
  );
  // Log lines go above the bars while they are drawn.
  // Log lines go above the bars while they are drawn. The bars are redrawn below them from the
  // top of their area: erasing everything below first leaves no stale bar rows behind.
  const all: cliProgress.SingleBar[] = [];
  let logged = false;
  redirectTerminal((text) => {
    if (!multi.isActive) return void process.stderr.write(text);
    logged = true;
    // A log line printed above the bars must not wrap: the bars are redrawn by moving the cursor
    // up one row per bar, and a wrapped line would leave copies of them behind.
    const width = (process.stderr.columns ?? 120) - 1;
    multi.log(ERASE_DOWN + text.replace(/[^\n]+/g, (line) => fitLine(line, width)));
  });
  // A bar skips drawing a line equal to the one it drew last (cli-progress 3's `lastDrawnString`);
  // after log lines moved the bars down, every bar must be drawn again.
  multi.on('redraw-pre', () => {
    if (!logged) return;
    logged = false;
    for (const bar of all) (bar as unknown as { lastDrawnString: string }).lastDrawnString = '';
  });
  const create = (...args: Parameters<cliProgress.MultiBar['create']>) => {
    const bar = multi.create(...args);
    all.push(bar);
    return bar;
  };
  const entities = new Map<string, cliProgress.SingleBar>();
  const stages = new Map<string, cliProgress.SingleBar>();
  let current = 'extract';
  let extractStartedAt = Date.now();
  let partitions = 0;
  const stageBar = (name: string, total: number) => {
    let bar = stages.get(name);
    if (!bar) {
      bar = create(total, 0, { label: name.padEnd(20), what: '' }, { format: ' {label} {bar} {what}' });
      stages.set(name, bar);
    }
    bar.setTotal(total);
    return bar;
  };
  return {
    stage(name) {
      current = name;
      if (name === 'extract') extractStartedAt = Date.now();
    },
    update(u) {
      const payload = {
        ...u,
        entity: u.entity.padEnd(20),
        rate: extractionRate(u.records, extractStartedAt, Date.now()),
      };
      // The total grows with the records: extraction does not know an entity's count up front.
      const bar = entities.get(u.entity);
      if (bar) {
        bar.setTotal(Math.max(u.records, 1));
        bar.update(u.records, payload);
      } else entities.set(u.entity, create(Math.max(u.records, 1), u.records, payload));
    },
    model(p) {
      partitions += p.partitions;
      // one bar per stage that builds models: the transform, and each references pass after it
      stageBar(p.model.startsWith('gold.') ? 'gold' : current, p.total).update(p.done, {
        what: `${p.done}/${p.total} models | ${partitions} partitions written | ${p.model}`,
      });
    },
    check(p) {
      stageBar(current, p.total).update(p.done, {
        what: `${p.done}/${p.total} checks | ${p.name}`,
      });
    },
    stop() {
      redirectTerminal(undefined);
      multi.update(); // prints log lines still buffered
      multi.stop();
    },
  };
}
