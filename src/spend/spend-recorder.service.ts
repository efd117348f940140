import { Inject, Injectable, OnModuleDestroy, OnModuleInit, Optional } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { counterIds } from '../common/ids/counter-ids';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import { KEY_LOOKUP, type KeyLookup } from '../auth/key-lookup';
import type { KeyRecord } from '../keys/key-record';
import { TEAM_BUDGETS, type TeamBudgets } from '../metrics/budget-source';
import { CallMetrics } from '../metrics/call-metrics';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import type { CallRecord, CallRecorder } from '../proxy/call-record';
import { RouterService } from '../proxy/router/router.service';
import { renderBudgets, renderDeploymentState, renderSpendLogWriter } from './spend-metrics';
import { toRow, type SpendLogRow } from './spend-log-row';
import { SpendLogWriter } from './spend-log-writer.service';

/** Keys, teams and users whose budgets the metrics follow. */
const MAX_TRACKED = 10_000;

/**
 * CALL_RECORDER: the proxy hands each ended call here, once its answer is sent. It becomes a spend log row (unless
 * `disable_spend_logs`), encoded into the writer's batch at once, and counts in LiteLLM's call metrics: nothing of
 * the call outlives it (a call kept for a later pass would survive garbage collections, which costs more than the
 * work). Key alias and tags are read from the key cache (the key was just used: it is warm).
 */
@Injectable()
export class SpendRecorder implements CallRecorder, OnModuleInit, OnModuleDestroy {
  private readonly nextId = counterIds(randomBytes(6).toString('hex'));
  private readonly logs: boolean;
  readonly calls: CallMetrics;
  /** Keys (hashes) with a budget, and teams and users, seen in calls: their budgets are shown. */
  private readonly budgetKeys = new Set<string>();
  private readonly budgetTeams = new Set<string>();
  private readonly budgetUsers = new Set<string>();
  /** The key, team and user last added to those sets. */
  private readonly lastTracked: { key: string | null; team: string | null; user: string | null } = {
    key: null,
    team: null,
    user: null,
  };

  constructor(
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
    @Inject(KEY_LOOKUP) private readonly keys: KeyLookup,
    private readonly writer: SpendLogWriter,
    private readonly router: RouterService,
    private readonly metrics: GatewayMetrics,
    @Optional() @Inject(TEAM_BUDGETS) private readonly teams: TeamBudgets | null = null,
  ) {
    this.logs = config.spend.logs;
    this.calls = new CallMetrics(config.metrics.requireAuth);
  }

  onModuleInit(): void {
    this.metrics.collectors.push((out) => this.render(out));
  }

  /**
   * The rows of calls that ended during shutdown are written with the writer's bounded shutdown flush, whichever of
   * the two hooks Nest runs first (a call cut at the shutdown bound ends just before).
   */
  onModuleDestroy(): Promise<void> {
    return this.writer.onModuleDestroy();
  }

  record(call: CallRecord): void {
    const key = call.caller.token ? this.keys.get(call.caller.token) : undefined;
    // The id is only the log row's: with logs off no string is built for it.
    const row = toRow(this.logs ? this.nextId() : '', call, key);
    if (this.logs) this.writer.append(row);
    this.observe(call, row, key);
  }

  private observe(call: CallRecord, row: SpendLogRow, key: KeyRecord | undefined): void {
    const d = call.deployment;
    this.calls.observe({
      endUser: row.endUser ?? '',
      hashedApiKey: row.apiKey ?? '',
      apiKeyAlias: row.keyAlias ?? '',
      team: row.teamId ?? '',
      teamAlias: (row.teamId && this.teams?.teamAlias(row.teamId)) || '',
      user: row.user ?? '',
      model: d ? d.upstreamModel : this.router.group(call.model) ? call.model : '',
      requestedModel: this.router.group(call.model) ? call.model : '',
      statusCode: row.statusCode,
      exceptionClass: row.status === 'failure' ? (call.errorCode ?? 'error') : null,
      spend: row.spend,
      inputTokens: row.promptTokens,
      outputTokens: row.completionTokens,
      totalLatencySec: (call.endedAt - call.startedAt) / 1000,
      apiLatencySec: call.apiStartedAt !== null ? (call.endedAt - call.apiStartedAt) / 1000 : null,
      // As LiteLLM's: from the start of the attempt that answered (failed attempts before it are not the model's).
      timeToFirstTokenSec:
        call.firstByteAt !== null && call.apiStartedAt !== null ? (call.firstByteAt - call.apiStartedAt) / 1000 : null,
    });
    // The sets only grow: a caller the same as the previous call's is in its set already (or the set is full).
    const last = this.lastTracked;
    if (key && key.maxBudget !== null && key.token !== last.key) {
      last.key = key.token;
      if (this.budgetKeys.size < MAX_TRACKED) this.budgetKeys.add(key.token);
    }
    if (!this.teams) return;
    if (row.teamId && row.teamId !== last.team) {
      last.team = row.teamId;
      if (this.budgetTeams.size < MAX_TRACKED) this.budgetTeams.add(row.teamId);
    }
    if (row.user && row.user !== last.user) {
      last.user = row.user;
      if (this.budgetUsers.size < MAX_TRACKED) this.budgetUsers.add(row.user);
    }
  }

  private render(out: string[]): void {
    this.calls.render(out);
    if (this.calls.showCallers)
      renderBudgets(out, this.budgetKeys, this.keys, { teams: this.budgetTeams, users: this.budgetUsers }, this.teams);
    renderDeploymentState(out, this.router.deployments(), Date.now(), this.calls.showCallers);
    renderSpendLogWriter(out, this.writer, this.calls);
  }
}
