import type { KeyLookup } from '../auth/key-lookup';
import type { TeamBudgets } from '../metrics/budget-source';
import type { CallMetrics } from '../metrics/call-metrics';
import { family, labelText } from '../metrics/prom-text';
import type { Deployment } from '../proxy/router/deployment';
import { cleanApiBase } from './spend-log-row';
import type { SpendLogWriter } from './spend-log-writer.service';

/** Remaining and maximum budgets of the keys, teams and users seen in calls (names callers: authenticated /metrics only). */
export function renderBudgets(
  out: string[],
  tokens: Iterable<string>,
  keys: KeyLookup,
  seen: { teams: Iterable<string>; users: Iterable<string> },
  budgets: TeamBudgets | null,
): void {
  const keyRows: BudgetRow[] = [];
  for (const token of tokens) {
    const k = keys.get(token);
    if (k && k.maxBudget !== null)
      keyRows.push([labelText(['hashed_api_key', 'api_key_alias'], [token, k.keyAlias ?? '']), k.maxBudget, k.spend]);
  }
  budgetFamilies(out, 'api_key', 'api key', keyRows);
  const teamRows: BudgetRow[] = [];
  for (const id of seen.teams) {
    const t = budgets?.budgetOf(id);
    if (t && t.maxBudget !== null)
      teamRows.push([labelText(['team', 'team_alias'], [id, t.alias ?? '']), t.maxBudget, t.spend]);
  }
  budgetFamilies(out, 'team', 'team', teamRows);
  const userRows: BudgetRow[] = [];
  for (const id of seen.users) {
    const u = budgets?.userBudgetOf(id);
    if (u && u.maxBudget !== null) userRows.push([labelText(['user'], [id]), u.maxBudget, u.spend]);
  }
  budgetFamilies(out, 'user', 'user', userRows);
}

/** One budget series: its label text, its maximum budget and its spend. */
type BudgetRow = [labels: string, maxBudget: number, spend: number];

/** LiteLLM's pair of budget gauges for one kind of caller (`litellm_remaining_<kind>_budget_metric`, `..._max_...`). */
function budgetFamilies(out: string[], kind: string, help: string, rows: readonly BudgetRow[]): void {
  family(out, `litellm_remaining_${kind}_budget_metric`, 'gauge', `Remaining budget for ${help}`);
  for (const [l, max, spend] of rows) out.push(`litellm_remaining_${kind}_budget_metric${l} ${max - spend}`);
  family(out, `litellm_${kind}_max_budget_metric`, 'gauge', `Maximum budget set for ${help}`);
  for (const [l, max] of rows) out.push(`litellm_${kind}_max_budget_metric${l} ${max}`);
}

/**
 * LiteLLM's deployment state: 0 healthy, 1 partial outage (recent failures), 2 complete outage (cooling down).
 * The deployment's address (`api_base`) only on an authenticated /metrics.
 */
export function renderDeploymentState(
  out: string[],
  deployments: readonly Deployment[],
  now: number,
  showAddresses: boolean,
): void {
  family(
    out,
    'litellm_deployment_state',
    'gauge',
    'The state of the deployment: 0 = healthy, 1 = partial outage, 2 = complete outage',
  );
  for (const d of deployments) {
    const c = d.config;
    const state = !d.health.available(now) ? 2 : d.health.recentFailures(now) > 0 ? 1 : 0;
    const l = showAddresses
      ? labelText(
          ['litellm_model_name', 'model_id', 'api_base', 'api_provider'],
          [`${c.provider}/${c.upstreamModel}`, c.id, cleanApiBase(c.apiBase) ?? '', c.provider],
        )
      : labelText(
          ['litellm_model_name', 'model_id', 'api_provider'],
          [`${c.provider}/${c.upstreamModel}`, c.id, c.provider],
        );
    out.push(`litellm_deployment_state${l} ${state}`);
  }
}

/** The spend log writer's own health: rows written, dropped (buffer full) and waiting. */
export function renderSpendLogWriter(out: string[], w: SpendLogWriter, calls: CallMetrics): void {
  family(out, 'gateway_spend_log_rows_written_total', 'counter', 'Spend log rows written to the database.');
  out.push(`gateway_spend_log_rows_written_total ${w.written}`);
  family(
    out,
    'gateway_spend_log_rows_dropped_total',
    'counter',
    'Spend log rows dropped because the buffer was full (the database was away too long). Spend totals are kept.',
  );
  out.push(`gateway_spend_log_rows_dropped_total ${w.dropped}`);
  family(out, 'gateway_spend_log_rows_buffered', 'gauge', 'Spend log rows waiting to be written.');
  out.push(`gateway_spend_log_rows_buffered ${w.pending}`);
  family(out, 'gateway_spend_log_buffer_capacity', 'gauge', 'Spend log rows the buffer holds at most.');
  out.push(`gateway_spend_log_buffer_capacity ${w.capacity}`);
  family(
    out,
    'gateway_call_metric_series_overflow_total',
    'counter',
    'Calls counted under caller labels "overflow" because the call metrics hold their maximum number of series.',
  );
  out.push(`gateway_call_metric_series_overflow_total ${calls.overflowed}`);
}
