import { Agent, fetch, type RequestInit, type Response } from 'undici';

/**
 * The one client of the mock API's control and truth endpoints (`/_mock/…`, docs/mock-api.md)
 * for tests: truth, clock, faults, webhooks, each failing loudly with the status and body.
 */

/**
 * A request on a connection of its own. A pooled keep-alive socket that the mock closes (after
 * its 5 s keep-alive timeout) just as fetch reuses it fails with ECONNRESET: on a loaded CI
 * machine, timers run late enough for that race, and a control POST (the clock) must not be
 * retried blindly. Read the body before it returns: the agent is closed after.
 */
async function ownConnection<T>(
  url: string,
  init: RequestInit,
  read: (res: Response) => Promise<T>,
): Promise<T> {
  const agent = new Agent();
  try {
    return await read(await fetch(url, { ...init, dispatcher: agent }));
  } finally {
    await agent.close();
  }
}

/** POSTs a control request; the mock answers 200 with JSON, anything else throws. */
export async function mockControl(
  url: string,
  path: string,
  body: unknown,
): Promise<Record<string, unknown>> {
  const { status, text } = await ownConnection(
    `${url}${path}`,
    { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
    async (res) => ({ status: res.status, text: await res.text() }),
  );
  if (status !== 200) throw new Error(`POST ${path}: HTTP ${status} ${text}`);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/** Moves the mock's clock. */
export async function advanceMockClock(url: string, seconds: number): Promise<void> {
  await mockControl(url, '/_mock/clock', { advance_seconds: seconds });
}

/** Sets the mock's fault configuration (`failure_rate`, `rate_limit_rps`, `latency_ms`, …). */
export async function configureMock(url: string, config: Record<string, number>): Promise<void> {
  await mockControl(url, '/_mock/config', config);
}

/** Every object of `/_mock/truth/<entity>` (NDJSON) as of the mock's now. */
export async function fetchTruth(url: string, entity: string): Promise<Record<string, unknown>[]> {
  const { ok, status, text } = await ownConnection(`${url}/_mock/truth/${entity}`, {}, async (res) => ({
    ok: res.ok,
    status: res.status,
    text: await res.text(),
  }));
  if (!ok) throw new Error(`truth ${entity}: HTTP ${status}`);
  return text
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** `/_mock/truth/<entity>` by id. */
export async function truthById(url: string, entity: string): Promise<Map<string, Record<string, unknown>>> {
  return new Map((await fetchTruth(url, entity)).map((o) => [o.id as string, o]));
}

/** The mock's clock (`/health`), Unix seconds. */
export async function mockNow(url: string): Promise<number> {
  const { now } = await ownConnection(`${url}/health`, {}, (res) => res.json() as Promise<{ now: number }>);
  return now;
}
