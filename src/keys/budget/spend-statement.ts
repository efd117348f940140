import { Prisma } from '../../generated/prisma/client';
import { parseMemberKey } from '../access/team-members';
import { BUDGET_PERIOD_END, MEMBER_NEXT_PERIOD } from '../budgets/budgets.repository';

/**
 * The SET list that adds `amount` to a row's spend within its budget period. A period that is over is ended in the
 * same write: spend restarts from this amount, the next end is computed by the database from the previous one
 * (llmgw_next_reset, no drift), and the soft-budget mark is cleared. `soft_budget_alerted_at` is set to now() by
 * the write that crosses soft_budget: the one write whose answer says so logs the warning, once per period, however
 * many instances write. `t` is the row's table (or alias), `amount` the added amount; both are constants here.
 */
function addWithinPeriod(t: string, amount: string): string {
  const over = `${t}.budget_reset_at <= now()`;
  return `spend = CASE WHEN ${over} THEN ${amount} ELSE ${t}.spend + ${amount} END,
    budget_reset_at = CASE WHEN ${over}
      THEN llmgw_next_reset(${t}.budget_reset_at, ${t}.budget_duration, now()) ELSE ${t}.budget_reset_at END,
    soft_budget_alerted_at = CASE
      WHEN ${t}.soft_budget IS NULL THEN NULL
      WHEN ${over} THEN CASE WHEN ${amount} >= ${t}.soft_budget THEN now() END
      WHEN ${t}.soft_budget_alerted_at IS NULL AND ${t}.spend + ${amount} >= ${t}.soft_budget THEN now()
      ELSE ${t}.soft_budget_alerted_at END`;
}

const RETURNED = (t: string, id: string, models = 'NULL::jsonb') =>
  `${t}.${id} AS id, ${models} AS models, ${t}.spend, ${t}.budget_reset_at AS reset_at, ${t}.soft_budget AS soft,
   (${t}.soft_budget_alerted_at IS NOT NULL AND ${t}.soft_budget_alerted_at = now()::timestamptz(3)) AS crossed`;

export type SpendKind = 'k' | 't' | 'u' | 'e';

export interface SpendRowAnswer {
  /** `b`: the batch was new; `m`: a key token the write found no row for; `tm`: a team membership (memberKey). */
  kind: 'b' | 'm' | 'tm' | SpendKind;
  id: string;
  spend: number;
  reset_at: Date | null;
  soft: number | null;
  crossed: boolean;
  /** Keys only: the spend per model group after the write. */
  models: Record<string, number> | null;
}

/**
 * Whether a key's new total is answered: only a key with a budget (max_budget, soft_budget, model_max_budget) has
 * its spend read back by anyone; for every other key the answer would be parsed, held and broadcast for nothing,
 * once a second for every key that was used. Tokens the write found no row for are answered apart (kind `m`).
 */
const KEY_WANTED = '(v.max_budget IS NOT NULL OR v.soft_budget IS NOT NULL OR d.models IS NOT NULL)';

/**
 * Whether a membership's new total is answered: every user's spend in a team is written, but only a member with a
 * budget there (its own, or the team's team_member_budget) has it read back by admission.
 */
const MEMBER_WANTED = `(m.budget_id IS NOT NULL OR EXISTS (SELECT 1 FROM teams AS mt
  WHERE mt.team_id = m.team_id AND mt.metadata ? 'team_member_budget_id'))`;

/** A new membership's period: its team's team_member_budget's current one (it has no budget of its own yet). */
const NEW_MEMBER_PERIOD = `(SELECT ${BUDGET_PERIOD_END} FROM teams AS mt
  JOIN budgets AS b ON b.budget_id = mt.metadata->>'team_member_budget_id' WHERE mt.team_id = d.t)`;

/**
 * Adds to a membership's spend within its period, as addWithinPeriod does for the other rows; the period's length
 * is its budget's budget_duration (its own budget, else its team's team_member_budget), looked up only when the
 * period is over.
 */
const MEMBER_ADD = `spend = CASE WHEN m.budget_reset_at <= now() THEN EXCLUDED.spend ELSE m.spend + EXCLUDED.spend END,
  budget_reset_at = CASE WHEN m.budget_reset_at <= now() THEN ${MEMBER_NEXT_PERIOD} ELSE m.budget_reset_at END`;

type Amounts = ReadonlyMap<string, number>;

/** A map's ids and amounts, as two array parameters (`arrayParam`). */
function columns(m: Amounts): [ArrayParam, ArrayParam] {
  const ids = [...m.keys()];
  return [arrayParam(ids), arrayParam(ids.map((id) => m.get(id)!))];
}

type ArrayParam = string | readonly (string | number | null)[];

/** Words of lowercase hex digits, comma-separated: an array literal as it is (no quote, no NULL, none empty). */
const HEX_LIST = /^[0-9a-f]+(?:,[0-9a-f]+)*$/;

/**
 * An array parameter as PostgreSQL's array literal, made by one JSON.stringify: for elements JSON writes without an
 * escape (hex tokens, ids, finite numbers, null) the text is the literal's, where the driver's own serializer runs
 * two regex replaces per element (for the keys of one second, thousands). With any escape, the array as it is, for
 * the driver to serialize.
 */
export function arrayParam(values: readonly (string | number | null)[]): ArrayParam {
  // Key tokens (hex hashes), a second's thousands: joined and checked by one regex, where JSON escapes them per
  // character.
  if (typeof values[0] === 'string') {
    const joined = values.join(',');
    if (HEX_LIST.test(joined)) return `{${joined}}`;
  }
  const json = JSON.stringify(values);
  return json.includes('\\') ? values : `{${json.slice(1, -1)}}`;
}

/**
 * Adds the per-model-group amounts `d.models` (`{"group": usd}`, null: none) into the key's `model_spend`; a key
 * row is updated once per statement, so this rides along with its spend update.
 */
const ADD_MODEL_SPEND = `model_spend = CASE WHEN d.models IS NULL THEN v.model_spend ELSE (
      SELECT jsonb_object_agg(g, COALESCE((v.model_spend->>g)::float8, 0) + COALESCE((d.models->>g)::float8, 0))
      FROM jsonb_object_keys(v.model_spend || d.models) AS g) END`;

/**
 * One statement, so one round trip and one snapshot, that applies a spend batch once: the batch row is inserted
 * first, and every update applies only when it is new (a retried batch changes nothing). Keys and users are only
 * updated (unknown ones are skipped); teams and end users are created on first spend, as LiteLLM does. The keys' tokens
 * are sent once (`kd`), though read twice: by the update and by the answer naming tokens with no row.
 */
export function spendStatement(
  batchId: string,
  keys: Amounts,
  teams: Amounts,
  users: Amounts,
  endUsers: Amounts,
  keyModels: ReadonlyMap<string, ReadonlyMap<string, number>> = new Map(),
  members: Amounts = new Map(),
): Prisma.Sql {
  const [kt, ka] = columns(keys);
  const km = arrayParam(
    [...keys.keys()].map((t) => {
      const m = keyModels.get(t);
      return m && m.size > 0 ? JSON.stringify(Object.fromEntries(m)) : null;
    }),
  );
  const [tt, ta] = columns(teams);
  const [ut, ua] = columns(users);
  const [et, ea] = columns(endUsers);
  const mk = [...members.keys()];
  const ma = arrayParam(mk.map((k) => members.get(k)!));
  const mt = arrayParam(mk.map((k) => parseMemberKey(k)?.[0] ?? ''));
  const mu = arrayParam(mk.map((k) => parseMemberKey(k)?.[1] ?? ''));
  const raw = Prisma.raw;
  return Prisma.sql`
    WITH fresh AS (
      INSERT INTO spend_batches (id) VALUES (${batchId}) ON CONFLICT (id) DO NOTHING RETURNING id
    ), kd AS (
      SELECT * FROM unnest(${kt}::text[], ${ka}::float8[], ${km}::jsonb[]) AS d(id, amount, models)
    ), k AS (
      UPDATE virtual_keys AS v SET ${raw(addWithinPeriod('v', 'd.amount'))}, ${raw(ADD_MODEL_SPEND)}
      FROM kd AS d
      WHERE v.token = d.id AND EXISTS (SELECT 1 FROM fresh)
      RETURNING ${raw(RETURNED('v', 'token', 'v.model_spend'))}, ${raw(KEY_WANTED)} AS wanted
    ), t AS (
      INSERT INTO teams (team_id, spend)
      SELECT d.id, d.amount FROM unnest(${tt}::text[], ${ta}::float8[]) AS d(id, amount)
      WHERE EXISTS (SELECT 1 FROM fresh)
      ON CONFLICT (team_id) DO UPDATE SET ${raw(addWithinPeriod('teams', 'EXCLUDED.spend'))}
      RETURNING ${raw(RETURNED('teams', 'team_id'))}
    ), u AS (
      UPDATE users AS x SET ${raw(addWithinPeriod('x', 'd.amount'))}
      FROM unnest(${ut}::text[], ${ua}::float8[]) AS d(id, amount)
      WHERE x.user_id = d.id AND EXISTS (SELECT 1 FROM fresh)
      RETURNING ${raw(RETURNED('x', 'user_id'))}
    ), e AS (
      INSERT INTO end_users (user_id, spend)
      SELECT d.id, d.amount FROM unnest(${et}::text[], ${ea}::float8[]) AS d(id, amount)
      WHERE EXISTS (SELECT 1 FROM fresh)
      ON CONFLICT (user_id) DO UPDATE SET ${raw(addWithinPeriod('end_users', 'EXCLUDED.spend'))}
      RETURNING ${raw(RETURNED('end_users', 'user_id'))}
    ), tm AS (
      INSERT INTO team_memberships AS m (team_id, user_id, spend, budget_reset_at)
      SELECT d.t, d.u, d.amount, ${raw(NEW_MEMBER_PERIOD)}
      FROM unnest(${mt}::text[], ${mu}::text[], ${ma}::float8[]) AS d(t, u, amount)
      WHERE EXISTS (SELECT 1 FROM fresh)
      ON CONFLICT (team_id, user_id) DO UPDATE SET ${raw(MEMBER_ADD)}, updated_at = now()
      RETURNING json_build_array(m.team_id, m.user_id)::text AS id, m.spend, m.budget_reset_at AS reset_at,
        ${raw(MEMBER_WANTED)} AS wanted
    )
    SELECT 'b' AS kind, id, NULL::jsonb AS models, 0::float8 AS spend, NULL::timestamptz AS reset_at, NULL::float8 AS soft, false AS crossed
      FROM fresh
    UNION ALL SELECT 'k', id, models, spend, reset_at, soft, crossed FROM k WHERE wanted
    UNION ALL SELECT 'm', d.id, NULL::jsonb, 0::float8, NULL::timestamptz, NULL::float8, false FROM kd AS d
      WHERE EXISTS (SELECT 1 FROM fresh) AND NOT EXISTS (SELECT 1 FROM k WHERE k.id = d.id)
    UNION ALL SELECT 't', * FROM t
    UNION ALL SELECT 'u', * FROM u
    UNION ALL SELECT 'e', * FROM e
    UNION ALL SELECT 'tm', id, NULL::jsonb, spend, reset_at, NULL::float8, false FROM tm WHERE wanted`;
}
