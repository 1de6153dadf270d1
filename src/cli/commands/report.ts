import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { buildReport } from '../../report/write-report.js';
import { layout } from '../../storage/layout.js';
import type { CommandContext } from '../context.js';
import { storeFor } from '../store.js';

/** `report`: the HTML report of a run (`--run-id`, default the newest) into the lake or `--out`. */
export default async function report(opts: { out?: string }, ctx: CommandContext): Promise<number> {
  const store = storeFor(ctx);
  const { runId, html } = await buildReport(store, ctx.settings.RUN_ID);
  if (opts.out) {
    await writeFile(opts.out, html);
    process.stdout.write(`${resolve(opts.out)}\n`);
  } else {
    const key = layout.report(runId);
    await store.put(key, html);
    process.stdout.write(`${store.root.replace(/\/$/, '')}/${key}\n`);
  }
  return 0;
}
