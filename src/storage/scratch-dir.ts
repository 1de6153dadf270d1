/**
 * Local scratch directories (Bronze parts being written, DuckDB's spill files, staged S3 objects),
 * each marked with its owner so that the directories of a killed run can be found and removed.
 *
 * A run removes its scratch directory when it ends, but a SIGKILLed run (or a lost container)
 * cannot: its parts and DuckDB spill files stay in the temp directory, gigabytes at scale, run
 * after run. So each directory holds `owner.json` ({host, pid}), and every run starts by removing
 * the directories whose owner ran on this host and is gone. Directories of live processes, of
 * other hosts (a shared temp directory) and without an owner file are left alone.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';

/** Whether a process with this pid exists on this host. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Every scratch directory's name starts with this. */
export const SCRATCH_PREFIX = 'payments-pipeline-';
const OWNER_FILE = 'owner.json';

interface Owner {
  readonly host: string;
  readonly pid: number;
}

/** Creates `<tmpdir>/payments-pipeline-<purpose>-XXXXXX` owned by this process. */
export async function makeScratchDir(purpose: string, parent = tmpdir()): Promise<string> {
  const dir = await mkdtemp(join(parent, `${SCRATCH_PREFIX}${purpose}-`));
  const owner: Owner = { host: hostname(), pid: process.pid };
  await writeFile(join(dir, OWNER_FILE), `${JSON.stringify(owner)}\n`);
  return dir;
}

/**
 * Removes the scratch directories under `parent` left by processes of this host that no longer
 * run; returns the paths removed. Best effort: an unreadable entry is skipped.
 */
export async function sweepScratchDirs(
  opts: { parent?: string; host?: string; isAlive?: (pid: number) => boolean } = {},
): Promise<string[]> {
  const parent = opts.parent ?? tmpdir();
  const host = opts.host ?? hostname();
  const alive = opts.isAlive ?? processAlive;
  const removed: string[] = [];
  let names: string[];
  try {
    names = await readdir(parent);
  } catch {
    return removed;
  }
  for (const name of names) {
    if (!name.startsWith(SCRATCH_PREFIX)) continue;
    const dir = join(parent, name);
    let owner: Owner;
    try {
      owner = JSON.parse(await readFile(join(dir, OWNER_FILE), 'utf8')) as Owner;
    } catch {
      continue;
    }
    if (owner.host !== host || !Number.isInteger(owner.pid) || owner.pid === process.pid) continue;
    if (alive(owner.pid)) continue;
    try {
      await rm(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch {
      // another sweeper got there first, or a permission problem: not ours to fail on
    }
  }
  return removed;
}
