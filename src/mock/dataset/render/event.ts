import { PIPELINE_API_VERSION } from '../../../source/api-version.js';
import { eventId, type ObjectRef } from '../ids.js';
import { describe } from '../timeline.js';
import { eventType } from '../versions.js';
import type { World } from '../world.js';
import type { JsonRenderer } from './json-renderer.js';
import { isOldVersionEvent, OLD_API_VERSION, toOldShape, worldLookups } from './old-api-version.js';

/** The Stripe API version the mock speaks: the pipeline's (the one the bundled `stripe` client pins). */
export const MOCK_API_VERSION = PIPELINE_API_VERSION;

/**
 * The event of version `v` of `ref` (created at `t`), as JSON text: the object as of the event
 * and, on a change that is not a deletion, Stripe's `previous_attributes`. A share
 * `oldVersionShare` of the events (chosen per event) is in `OLD_API_VERSION`: its object and
 * `previous_attributes` in that version's shape.
 */
export function renderEvent(
  w: World,
  renderer: JsonRenderer,
  ref: ObjectRef,
  v: number,
  t: number,
  oldVersionShare = 0,
): string {
  const d = describe(w, ref, t)!;
  const version = d.versions[v]!;
  const old = isOldVersionEvent(w.seed, ref, v, oldVersionShare);
  const lookups = old ? worldLookups(w, renderer, ref, version.t) : null;
  const render = (k: number) => (lookups ? toOldShape(renderer.build(d, k), lookups) : renderer.build(d, k));
  const object = render(v);
  const type = eventType(version.type);
  const previous =
    v > 0 && !type.endsWith('.deleted')
      ? `,"previous_attributes":${previousAttributesJson(render(v - 1), object)}`
      : '';
  return (
    `{"id":"${eventId(w.seed, ref, v)}","object":"event","api_version":"${old ? OLD_API_VERSION : MOCK_API_VERSION}",` +
    `"created":${version.t},"data":{"object":${object}${previous}},"livemode":false,"pending_webhooks":0,` +
    `"request":{"id":null,"idempotency_key":null},"type":"${type}"}`
  );
}

/**
 * The top-level fields of a JSON object text, as [key, value text] pairs in order (the value
 * texts exactly as they appear). For `previous_attributes` without parsing: two renderings of
 * one object differ in a field exactly when the field's texts differ.
 */
export function topLevelFields(json: string): [string, string][] {
  const out: [string, string][] = [];
  const n = json.length;
  let k = 1; // after '{'
  while (k < n && json.charCodeAt(k) === 34 /* " */) {
    const keyEnd = json.indexOf('"', k + 1); // keys of the mock's objects have no escapes
    const key = json.slice(k + 1, keyEnd);
    const start = keyEnd + 2; // skip ':'
    let depth = 0;
    let p = start;
    for (; p < n; p++) {
      const c = json.charCodeAt(p);
      if (c === 34) {
        // Skip a string, honouring escapes.
        for (p++; p < n; p++) {
          const d = json.charCodeAt(p);
          if (d === 92 /* \ */) p++;
          else if (d === 34) break;
        }
      } else if (c === 123 || c === 91) depth++;
      else if (c === 125 || c === 93) {
        if (depth === 0) break;
        depth--;
      } else if (c === 44 /* , */ && depth === 0) break;
    }
    out.push([key, json.slice(start, p)]);
    k = p + 1;
  }
  return out;
}

/** Stripe's `previous_attributes` as JSON text: the old value of every top-level field that changed. */
export function previousAttributesJson(before: string, after: string): string {
  const now = new Map(topLevelFields(after));
  let out = '';
  for (const [k, v] of topLevelFields(before)) {
    if (now.get(k) !== v) out += `${out === '' ? '' : ','}"${k}":${v}`;
  }
  return `{${out}}`;
}
