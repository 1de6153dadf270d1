/**
 * The one client of the mock API's control and truth endpoints (`/_mock/…`, docs/mock-api.md)
 * for tests: truth, clock, faults, webhooks, each failing loudly with the status and body.
 */

/** POSTs a control request; the mock answers 200 with JSON, anything else throws. */
export async function mockControl(
  url: string,
  path: string,
  body: unknown,
): Promise<Record<string, unknown>> {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 200) throw new Error(`POST ${path}: HTTP ${res.status} ${await res.text()}`);
  const text = await res.text();
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
  const res = await fetch(`${url}/_mock/truth/${entity}`);
  if (!res.ok) throw new Error(`truth ${entity}: HTTP ${res.status}`);
  return (await res.text())
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
  const { now } = (await (await fetch(`${url}/health`)).json()) as { now: number };
  return now;
}
