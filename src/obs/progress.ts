import cliProgress from 'cli-progress';

export interface ProgressUpdate {
  entity: string;
  pages: number;
  records: number;
  retries: number;
}

/** Live progress in a terminal; a no-op elsewhere (JSON logs say it all). */
export interface Progress {
  stage(name: string): void;
  update(u: ProgressUpdate): void;
  stop(): void;
}

export function createProgress(interactive: boolean): Progress {
  if (!interactive) return { stage: () => {}, update: () => {}, stop: () => {} };
  const started = Date.now();
  const multi = new cliProgress.MultiBar(
    {
      format: ' {entity} | {stage} | {pages} pages | {records} records | {rate} rec/s | {retries} retries',
      hideCursor: true,
      clearOnComplete: false,
      stream: process.stderr,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map<string, cliProgress.SingleBar>();
  let stage = 'extract';
  return {
    stage(name) {
      stage = name;
      for (const bar of bars.values()) bar.update({ stage });
    },
    update(u) {
      const seconds = Math.max(0.001, (Date.now() - started) / 1000);
      const payload = { ...u, entity: u.entity.padEnd(20), stage, rate: Math.round(u.records / seconds) };
      const bar = bars.get(u.entity);
      if (bar) bar.update(u.records, payload);
      else bars.set(u.entity, multi.create(0, u.records, payload));
    },
    stop() {
      multi.stop();
    },
  };
}
