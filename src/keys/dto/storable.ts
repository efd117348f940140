/**
 * What PostgreSQL can store: text holds no NUL character (nor does jsonb, as `\u0000`), and every string must be
 * valid UTF-16 (a lone surrogate has no UTF-8 form). Checked on input, so such a value is a 400 naming the field
 * rather than a database error (500).
 */
export const NOT_STORABLE = 'must not contain NUL characters or unpaired surrogates';

export function isStorableText(s: string): boolean {
  // Native checks: this runs on every spend-log row's client-sent strings.
  return s.isWellFormed() && !s.includes('\0');
}

/**
 * `s` as PostgreSQL can store it, for text kept rather than refused (spend log rows): NUL characters dropped, lone
 * surrogates replaced by U+FFFD. One value that cannot be stored would fail the whole batch it is written in.
 */
export function toStorableText(s: string): string {
  return isStorableText(s) ? s : s.replaceAll('\0', '').toWellFormed();
}

/** Deepest nesting accepted in `metadata` (objects and arrays); plenty for labels, bounded for the database. */
export const MAX_METADATA_DEPTH = 32;

/**
 * Why a JSON value cannot be stored as `metadata`, or null when it can: nesting beyond MAX_METADATA_DEPTH, or a
 * key or string that is not storable text. Iterative, so a hostile depth cannot overflow the stack here.
 */
export function jsonProblem(value: unknown): string | null {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v === 'string') {
      if (!isStorableText(v)) return NOT_STORABLE;
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth >= MAX_METADATA_DEPTH) return `must not be nested more than ${MAX_METADATA_DEPTH} levels deep`;
    if (Array.isArray(v)) {
      for (const item of v) stack.push([item, depth + 1]);
      continue;
    }
    for (const [k, item] of Object.entries(v)) {
      if (!isStorableText(k)) return NOT_STORABLE;
      stack.push([item, depth + 1]);
    }
  }
  return null;
}
