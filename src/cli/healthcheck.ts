/**
 * The container health check (`HEALTHCHECK` in the Dockerfile, `healthCheck` in the ECS task
 * definition): `node /app/dist/cli/healthcheck.js`. One image runs the batch, the webhook receiver
 * and the mock API, and only the receiver serves `/health`; so this finds a `webhooks` process in
 * the container (Linux `/proc`) and probes `GET http://127.0.0.1:<its --port>/health`. Exit 0 when
 * healthy or when no receiver runs here (a batch container has nothing to probe), 1 otherwise.
 * Plain Node, no dependencies: it starts in tens of milliseconds every 30 seconds.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** Default port of `webhooks` (SPEC section 11). */
const DEFAULT_PORT = 8001;

/**
 * The port to probe, from the command lines (argv arrays) of the processes in the container:
 * the first that runs the CLI's `webhooks` command; undefined when none does.
 *
 * @example
 * probePort([['node', '/app/bin/payments-pipeline.js', 'webhooks', '--port', '9000']]); // 9000
 */
export function probePort(commandLines: readonly (readonly string[])[]): number | undefined {
  for (const argv of commandLines) {
    const cli = argv.findIndex((a) => /payments-pipeline(\.js)?$|cli\/main\.[jt]s$/.test(a));
    if (cli < 0 || !argv.slice(cli + 1).includes('webhooks')) continue;
    const rest = argv.slice(cli + 1);
    const flag = rest.findIndex((a) => a === '--port' || a.startsWith('--port='));
    if (flag < 0) return DEFAULT_PORT;
    const value = rest[flag]!.includes('=') ? rest[flag]!.split('=')[1] : rest[flag + 1];
    const port = Number(value);
    return Number.isInteger(port) && port > 0 && port <= 65535 ? port : DEFAULT_PORT;
  }
  return undefined;
}

/** Command lines of the processes visible in `/proc` (empty off Linux). */
function processCommandLines(): string[][] {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return [];
  }
  const out: string[][] = [];
  for (const pid of pids) {
    try {
      const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      out.push(raw.split('\0').filter((a) => a.length > 0));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

/** Probes the receiver's `/health`; resolves to the exit code. */
export async function checkHealth(
  commandLines: readonly (readonly string[])[] = processCommandLines(),
  timeoutMs = 4000,
): Promise<{ code: 0 | 1; message: string }> {
  const port = probePort(commandLines);
  if (port === undefined) return { code: 0, message: 'no webhook receiver in this container' };
  const url = `http://127.0.0.1:${port}/health`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return res.ok
      ? { code: 0, message: `${url}: ${res.status}` }
      : { code: 1, message: `${url}: HTTP ${res.status}` };
  } catch (err) {
    return { code: 1, message: `${url}: ${(err as Error).message}` };
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  checkHealth().then(({ code, message }) => {
    (code === 0 ? process.stdout : process.stderr).write(`${message}\n`);
    process.exitCode = code;
  });
}
