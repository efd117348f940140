import { Inject, Injectable, OnModuleDestroy, OnModuleInit, Optional } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
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

/** How often ended calls are turned into rows and metrics. */
const DRAIN_MS = 200;
/** Ended calls waiting for the next drain at most; reaching it drains at once. */
const MAX_PENDING = 10_000;
/** Keys, teams and users whose budgets the metrics follow. */
const MAX_TRACKED = 10_000;

/**
 * CALL_RECORDER: the proxy hands each ended call here, which only appends it to an array. Every DRAIN_MS (and
 * before each scrape) the calls are read: each becomes a spend log row (unless `disable_spend_logs`) and counts in
 * LiteLLM's call metrics. Key alias and tags are read from the key cache then (the key was just used: it is warm).
 */
@Injectable()
export class SpendRecorder implements CallRecorder, OnModuleInit, OnModuleDestroy {
  private pending: CallRecord[] = [];
  private timer?: NodeJS.Timeout;
  private readonly idPrefix = randomBytes(6).toString('hex');
  private seq = 0;
  private readonly logs: boolean;
  readonly calls: CallMetrics;
  /** Keys (hashes) with a budget, and teams and users, seen in calls: their budgets are shown. */
  private readonly budgetKeys = new Set<string>();
  private readonly budgetTeams = new Set<string>();
  private readonly budgetUsers = new Set<string>();

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
    this.timer = setInterval(() => this.drain(), DRAIN_MS);
    this.timer.unref();
    this.metrics.collectors.push((out) => this.render(out));
  }

  /**
   * The calls ended since the last drain become rows, written with the writer's bounded shutdown flush: Nest may run
   * the writer's own hook first, and it would find nothing yet (a call cut at the shutdown bound ends just before).
   */
  onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    this.drain();
    return this.writer.onModuleDestroy();
  }

  record(call: CallRecord): void {
    this.pending.push(call);
    if (this.pending.length >= MAX_PENDING) this.drain();
  }

  /** Turns the ended calls into rows and metrics. */
  drain(): void {
    if (this.pending.length === 0) return;
    const calls = this.pending;
    this.pending = [];
    for (const call of calls) {
      const key = call.caller.token ? this.keys.get(call.caller.token) : undefined;
      const row = toRow(`${this.idPrefix}${(++this.seq).toString(36)}`, call, key);
      if (this.logs) this.writer.append(row);
      this.observe(call, row, key);
    }
  }

  private observe(call: CallRecord, row: SpendLogRow, key: KeyRecord | undefined): void {
    const d = call.deployment;
    this.calls.observe({
      endUser: row.endUser ?? '',
      hashedApiKey: row.apiKey ?? '',
      apiKeyAlias: row.keyAlias ?? '',
      team: row.teamId ?? '',
      teamAlias: (row.teamId && this.teams?.budgetOf(row.teamId)?.alias) || '',
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
      timeToFirstTokenSec: call.firstByteAt !== null ? (call.firstByteAt - call.startedAt) / 1000 : null,
    });
    if (key && key.maxBudget !== null && this.budgetKeys.size < MAX_TRACKED) this.budgetKeys.add(key.token);
    if (row.teamId && this.teams && this.budgetTeams.size < MAX_TRACKED) this.budgetTeams.add(row.teamId);
    if (row.user && this.teams && this.budgetUsers.size < MAX_TRACKED) this.budgetUsers.add(row.user);
  }

  private render(out: string[]): void {
    this.drain();
    this.calls.render(out);
    if (this.calls.showCallers)
      renderBudgets(out, this.budgetKeys, this.keys, { teams: this.budgetTeams, users: this.budgetUsers }, this.teams);
    renderDeploymentState(out, this.router.deployments(), Date.now(), this.calls.showCallers);
    renderSpendLogWriter(out, this.writer, this.calls);
  }
}
