import { OBJECT_KINDS, type ObjectKind } from '../access/object-kind';

/**
 * Messages between instances sharing one database: keys changed (drop them from the cache, reload on next use) and
 * spend totals after a flush (so every instance enforces budgets on current spend). `n` lists the tokens of `k` that
 * are new rows (generated, or the new token of a regenerated key): a copy another instance already holds of such a
 * row was read after it was written, so only a remembered "unknown" is dropped for them, not the copy. (An instance
 * that does not read `n` drops both: only a needless reload.) `r` lists regenerated keys as
 * [old token, new token]: every instance re-addresses the spend it holds for the old token (amounts not yet written,
 * and calls still running) to the new one, which would otherwise be written to no row and lost.
 *
 * Spend totals carry the end of their budget period as a third element when there is one (ms since the epoch): a
 * total of a later period replaces the one held. `p`, `u` and `e` are the totals of teams, users and end users, `tm`
 * those of team members in their team.
 * `objects` names teams (`c: "team"`), users or end users (`end_user`) that changed: every instance reads them again.
 */
export type KeyEvent =
  | {
      readonly o: string;
      readonly t: 'changed';
      readonly k: readonly string[];
      readonly n?: readonly string[];
      readonly r?: readonly (readonly [string, string])[];
    }
  | {
      readonly o: string;
      readonly t: 'spend';
      readonly k: readonly SpendTotal[];
      readonly p: readonly SpendTotal[];
      readonly u?: readonly SpendTotal[];
      readonly e?: readonly SpendTotal[];
      /** Keys' spend per model group (model_max_budget), `[token, {group: total}]`. */
      readonly m?: readonly (readonly [string, Readonly<Record<string, number>>])[];
      /** Team members' spend in their team (members with a budget there), `[memberKey, total]`. */
      readonly tm?: readonly SpendTotal[];
    }
  | { readonly o: string; readonly t: 'objects'; readonly c: ObjectKind; readonly i: readonly string[] };

/** `[id, total]`, or `[id, total, end of its budget period]`. */
export type SpendTotal = readonly [string, number] | readonly [string, number, number];

/** An event before the sender stamps its origin. */
export type KeyEventBody = KeyEvent extends infer E ? (E extends KeyEvent ? Omit<E, 'o'> : never) : never;

/** Transport for KeyEvents: Redis pub/sub or PostgreSQL LISTEN/NOTIFY. */
export interface KeyEventTransport {
  readonly name: string;
  /** Starts receiving; `onReconnect` runs after a dropped subscription came back (messages may have been missed). */
  start(onMessage: (payload: string) => void, onReconnect: () => void): Promise<void>;
  publish(payload: string): Promise<void>;
  stop(): Promise<void>;
}

/** PostgreSQL NOTIFY payloads must stay under 8000 bytes: big events are split. */
export const MAX_PAYLOAD_BYTES = 7_000;

/**
 * Splits an event into payloads that each fit MAX_PAYLOAD_BYTES. Each begins with its origin (`{"o":...`), so a
 * receiver can drop its own messages unparsed (sentBy).
 */
export function encodeEvents(event: KeyEvent): string[] {
  const whole = JSON.stringify(originFirst(event));
  if (Buffer.byteLength(whole) <= MAX_PAYLOAD_BYTES) return [whole];
  const out: string[] = [];
  const per = 60; // 60 entries of a 64-char token and a number stay well under the limit
  if (event.t === 'changed') {
    const created = new Set(event.n ?? []);
    for (let i = 0; i < event.k.length; i += per) {
      const k = event.k.slice(i, i + per);
      const n = k.filter((t) => created.has(t));
      const r = (event.r ?? []).filter(([from, to]) => k.includes(from) && k.includes(to));
      out.push(
        JSON.stringify({ o: event.o, t: event.t, k, ...(n.length > 0 ? { n } : {}), ...(r.length > 0 ? { r } : {}) }),
      );
    }
  } else if (event.t === 'objects') {
    for (let i = 0; i < event.i.length; i += per)
      out.push(JSON.stringify({ ...originFirst(event), i: event.i.slice(i, i + per) }));
  } else {
    const { o, t } = event;
    for (let i = 0; i < (event.m ?? []).length; i += per)
      out.push(JSON.stringify({ o, t, k: [], p: [], m: event.m!.slice(i, i + per) }));
    for (const field of ['k', 'p', 'u', 'e', 'tm'] as const) {
      const list = event[field] ?? [];
      for (let i = 0; i < list.length; i += per)
        out.push(JSON.stringify({ o, t, k: [], p: [], [field]: list.slice(i, i + per) }));
    }
  }
  return out;
}

function originFirst<E extends KeyEvent>(event: E): E {
  const { o, ...rest } = event;
  return { o, ...rest } as E;
}

/** Whether an encoded payload was sent by `origin` (decided from its first bytes). */
export function sentBy(origin: string, payload: string): boolean {
  return payload.startsWith(`{"o":${JSON.stringify(origin)},`);
}

export function decodeEvent(payload: string): KeyEvent | null {
  try {
    const parsed = JSON.parse(payload) as KeyEvent;
    if (parsed?.t === 'objects') {
      const ok = typeof parsed.o === 'string' && OBJECT_KINDS.includes(parsed.c) && Array.isArray(parsed.i);
      return ok && parsed.i.every((x) => typeof x === 'string') ? parsed : null;
    }
    const e = parsed;
    if (typeof e?.o !== 'string' || !Array.isArray(e.k)) return null;
    if (e.t === 'changed' && e.k.every((x) => typeof x === 'string')) {
      const { n, r } = e as { n?: unknown; r?: unknown };
      const listed = (x: unknown) => typeof x === 'string' && e.k.includes(x);
      if (n !== undefined && !(Array.isArray(n) && n.every(listed))) return null;
      if (
        r !== undefined &&
        !(Array.isArray(r) && r.every((p) => Array.isArray(p) && p.length === 2 && listed(p[0]) && listed(p[1])))
      )
        return null;
      return e;
    }
    // Spend totals feed the budget checks: a total that is not a finite number (NaN would pass every check) drops the message.
    if (
      e.t === 'spend' &&
      Array.isArray(e.p) &&
      [e.k, e.p, e.u ?? [], e.e ?? [], e.tm ?? []].every(
        (list) => Array.isArray(list) && (list as unknown[]).every(isTotal),
      ) &&
      (e.m === undefined || (Array.isArray(e.m) && (e.m as unknown[]).every(isModelTotals)))
    )
      return e;
    return null;
  } catch {
    return null;
  }
}

/** A `[id, total]` pair of a spend message, or `[id, total, end of period]`. */
function isTotal(x: unknown): boolean {
  return (
    Array.isArray(x) &&
    (x.length === 2 || (x.length === 3 && typeof x[2] === 'number' && Number.isFinite(x[2]))) &&
    typeof x[0] === 'string' &&
    typeof x[1] === 'number' &&
    Number.isFinite(x[1]) &&
    x[1] >= 0
  );
}

/** A `[token, {group: total}]` pair of a spend message. */
function isModelTotals(x: unknown): boolean {
  if (!Array.isArray(x) || x.length !== 2 || typeof x[0] !== 'string') return false;
  const m = x[1] as unknown;
  if (!m || typeof m !== 'object' || Array.isArray(m)) return false;
  return Object.values(m).every((v) => typeof v === 'number' && Number.isFinite(v) && v >= 0);
}
