/** The header LiteLLM reads a request's tags from, comma-separated. */
export const TAGS_HEADER = 'x-litellm-tags';

/**
 * A request's own tags, from every place LiteLLM takes them: the body's `metadata.tags`, a top-level `tags` (a
 * LiteLLM parameter, never sent upstream) and the `x-litellm-tags` header (comma-separated). As sent, not yet
 * cleaned (strings only, bounded: the spend log row and the router each clean what they use); undefined when none.
 */
export function askedTags(body: unknown, header: string | string[] | undefined): unknown[] | undefined {
  let out: unknown[] | undefined;
  if (body !== null && typeof body === 'object') {
    const { metadata, tags } = body as { metadata?: unknown; tags?: unknown };
    const inMetadata =
      metadata !== null && typeof metadata === 'object' ? (metadata as { tags?: unknown }).tags : undefined;
    if (Array.isArray(inMetadata) && inMetadata.length > 0) out = inMetadata;
    if (Array.isArray(tags) && tags.length > 0) out = out === undefined ? tags : [...out, ...(tags as unknown[])];
  }
  if (header !== undefined) {
    const text = Array.isArray(header) ? header.join(',') : header;
    const named = text
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t !== '');
    if (named.length > 0) out = out === undefined ? named : [...out, ...named];
  }
  return out;
}
