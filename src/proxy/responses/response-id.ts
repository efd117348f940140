/**
 * The Responses API keeps a conversation on the upstream that answered it: `previous_response_id`, GET, DELETE and
 * input_items must reach that deployment. The id the client sees names it: `resp_` + base64url of
 * `gw1;<deployment id>;<upstream id>`. Any instance with the same `model_list` reads it without a shared store or a
 * round-trip, and an id that is not one of these is passed on to the upstream unchanged.
 */
const PREFIX = 'resp_';
const TAG = 'gw1;';

export interface ResponseRef {
  readonly deploymentId: string;
  readonly upstreamId: string;
}

export function encodeResponseId(deploymentId: string, upstreamId: string): string {
  return PREFIX + Buffer.from(`${TAG}${deploymentId};${upstreamId}`, 'utf8').toString('base64url');
}

/** The deployment and upstream id an id of `encodeResponseId` names, or null for any other id. */
export function decodeResponseId(id: string): ResponseRef | null {
  if (!id.startsWith(PREFIX) || id.length > 2048) return null;
  const text = Buffer.from(id.slice(PREFIX.length), 'base64url').toString('utf8');
  if (!text.startsWith(TAG)) return null;
  // Upstream ids hold no `;`; a deployment id (model_info.id) may.
  const cut = text.lastIndexOf(';');
  if (cut <= TAG.length) return null;
  const ref = { deploymentId: text.slice(TAG.length, cut), upstreamId: text.slice(cut + 1) };
  // base64url decoding skips characters it does not know: only the exact encoding is accepted.
  if (!ref.upstreamId || encodeResponseId(ref.deploymentId, ref.upstreamId) !== id) return null;
  return ref;
}

/**
 * A Responses API JSON answer (a response object, or a deletion's `{id, deleted}`) with its response ids (`id`,
 * `previous_response_id`) in the client's form. The body is otherwise passed on byte for byte; one that is not JSON
 * is passed on as it came.
 */
export function encodeIdsInAnswer(body: Buffer, deploymentId: string): Buffer {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return body;
  }
  return replaceIds(body, deploymentId, idsOf(parsed));
}

/** The response ids of a response object (its own and `previous_response_id`). */
export function idsOf(response: unknown): string[] {
  if (!response || typeof response !== 'object') return [];
  const { id, previous_response_id } = response as { id?: unknown; previous_response_id?: unknown };
  const ids: string[] = [];
  for (const v of [id, previous_response_id])
    if (typeof v === 'string' && v.length > 0 && !v.includes('"') && !v.includes('\\')) ids.push(v);
  return ids;
}

/** Every JSON string `"<id>"` of `ids` in `data` replaced by its client form. */
export function replaceIds(data: Buffer, deploymentId: string, ids: readonly string[]): Buffer {
  if (ids.length === 0) return data;
  let text = data.toString('latin1');
  let changed = false;
  for (const id of ids) {
    const quoted = `"${id}"`;
    if (!text.includes(quoted)) continue;
    text = text.split(quoted).join(`"${encodeResponseId(deploymentId, id)}"`);
    changed = true;
  }
  return changed ? Buffer.from(text, 'latin1') : data;
}
