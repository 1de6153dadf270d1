import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeScratchDir, processAlive, SCRATCH_PREFIX, sweepScratchDirs } from './scratch-dir.js';

let parent: string;
beforeEach(async () => {
  parent = await mkdtemp(join(tmpdir(), 'scratch-test-'));
});
afterEach(async () => {
  await rm(parent, { recursive: true, force: true });
});

/** The pid of a process that has exited: reaped, so nothing runs under it (barring pid reuse). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(r.stdout.toString());
}

async function leftBy(owner: unknown, name: string): Promise<string> {
  const dir = join(parent, `${SCRATCH_PREFIX}${name}`);
  await mkdir(dir);
  await writeFile(join(dir, 'part.jsonl'), 'x');
  if (owner !== undefined) await writeFile(join(dir, 'owner.json'), JSON.stringify(owner));
  return dir;
}

describe('scratch directories', () => {
  it('are created under the prefix, owned by this process', async () => {
    const dir = await makeScratchDir('transform', parent);
    expect(dir.startsWith(join(parent, `${SCRATCH_PREFIX}transform-`))).toBe(true);
    expect(JSON.parse(await readFile(join(dir, 'owner.json'), 'utf8'))).toEqual({
      host: hostname(),
      pid: process.pid,
    });
  });

  it('of a killed run on this host are swept; live, foreign, unowned and unrelated ones stay', async () => {
    const dead = deadPid();
    expect(processAlive(dead)).toBe(false);
    const killed = await leftBy({ host: hostname(), pid: dead }, 'bronze-aaaaaa');
    const mine = await makeScratchDir('quality', parent);
    const live = await leftBy({ host: hostname(), pid: process.ppid }, 'transform-bbbbbb');
    const otherHost = await leftBy({ host: `${hostname()}-elsewhere`, pid: dead }, 'bronze-cccccc');
    const unowned = await leftBy(undefined, 'bronze-dddddd');
    const garbled = await leftBy('not an owner', 'bronze-eeeeee');
    await mkdir(join(parent, 'someone-else-dir'));

    expect(await sweepScratchDirs({ parent })).toEqual([killed]);
    const left = (await readdir(parent)).map((n) => join(parent, n)).sort();
    expect(left).toEqual([mine, live, otherHost, unowned, garbled, join(parent, 'someone-else-dir')].sort());
    // nothing more to do the second time
    expect(await sweepScratchDirs({ parent })).toEqual([]);
  });

  it('uses the liveness it is given, and never removes its own process', async () => {
    const a = await leftBy({ host: 'h1', pid: 4242 }, 'bronze-aaaaaa');
    await leftBy({ host: 'h1', pid: process.pid }, 'bronze-bbbbbb');
    expect(await sweepScratchDirs({ parent, host: 'h1', isAlive: () => false })).toEqual([a]);
  });

  it('takes a missing parent directory as nothing to sweep', async () => {
    expect(await sweepScratchDirs({ parent: join(parent, 'absent') })).toEqual([]);
  });
});
