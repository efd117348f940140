import { Inject, Injectable } from '@nestjs/common';
import { REDACTED, redactDeep } from '../../common/redact';
import { GATEWAY_CONFIG, type DeploymentConfig, type GatewayConfig } from '../../config/gateway-config';
import { modelGroupInfo, type ModelGroupInfo } from './model-group-info';

/** LiteLLM's fixed `created` for proxy model entries (clients only display it). */
const CREATED = 1677610602;

export interface ModelObject {
  readonly id: string;
  readonly object: 'model';
  readonly created: number;
  readonly owned_by: string;
}

export interface ModelInfoEntry {
  readonly model_name: string;
  readonly litellm_params: Readonly<Record<string, unknown>>;
  readonly model_info: Readonly<Record<string, unknown>>;
}

/** `/v2/model/info`'s page of deployments, in LiteLLM's paged shape. */
export interface ModelInfoPage {
  readonly data: ModelInfoEntry[];
  readonly total_count: number;
  readonly current_page: number;
  readonly total_pages: number;
  readonly size: number;
}

/**
 * What `GET /models`, `GET /model/info` (and its paged `/v2` form) and `GET /model_group/info` answer, built once at
 * start. `/model/info` is LiteLLM's shape with
 * every secret removed: no `api_key`, no credentials or query in `api_base`, and any configured secret value
 * that still shows up anywhere is replaced.
 */
@Injectable()
export class ModelCatalog {
  readonly groups: readonly string[];
  private readonly models = new Map<string, ModelObject>();
  private readonly info = new Map<string, ModelInfoEntry[]>();
  private readonly groupInfo = new Map<string, ModelGroupInfo>();

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    for (const d of config.models) {
      if (!this.models.has(d.modelName)) {
        this.models.set(
          d.modelName,
          Object.freeze({ id: d.modelName, object: 'model', created: CREATED, owned_by: 'openai' }),
        );
        this.info.set(d.modelName, []);
      }
      this.info.get(d.modelName)!.push(redactDeep(infoEntry(d), config.secrets));
    }
    // model_group_alias: listed like a group (unless hidden), showing the deployments of the group it calls.
    for (const [alias, { group, hidden }] of Object.entries(config.router.aliases)) {
      if (hidden || this.models.has(alias) || !this.info.has(group)) continue;
      this.models.set(alias, Object.freeze({ id: alias, object: 'model', created: CREATED, owned_by: 'openai' }));
      this.info.set(
        alias,
        this.info
          .get(group)!
          .map((e) => ({ ...e, model_name: alias, model_info: { ...e.model_info, alias_of: group } })),
      );
    }
    this.groups = [...this.models.keys()];
    const byGroup = new Map<string, DeploymentConfig[]>();
    for (const d of config.models) {
      const list = byGroup.get(d.modelName);
      if (list) list.push(d);
      else byGroup.set(d.modelName, [d]);
    }
    // An alias sums up the deployments of the group it calls, as its /model/info entries show them.
    for (const g of this.groups)
      this.groupInfo.set(
        g,
        modelGroupInfo(g, byGroup.get(g) ?? byGroup.get(config.router.aliases[g]?.group ?? '') ?? []),
      );
  }

  /** The caller's groups, in config order: `allowed` null = all; names not configured are left out. */
  visible(allowed: readonly string[] | null): readonly string[] {
    if (allowed === null) return this.groups;
    const set = new Set(allowed);
    return this.groups.filter((g) => set.has(g));
  }

  model(group: string): ModelObject | undefined {
    return this.models.get(group);
  }

  modelList(groups: readonly string[]): { object: 'list'; data: ModelObject[] } {
    return { object: 'list', data: groups.map((g) => this.models.get(g)!) };
  }

  /** The deployments of `groups`; with `id`, only the deployment of that id (LiteLLM's `litellm_model_id`). */
  modelInfo(groups: readonly string[], id?: string): { data: ModelInfoEntry[] } {
    const all = groups.flatMap((g) => this.info.get(g) ?? []);
    return { data: id === undefined ? all : all.filter((e) => e.model_info.id === id) };
  }

  /**
   * `/v2/model/info`: the deployments of `groups` (only group `model`, deployment `id`, or groups whose name holds
   * `search` when given), one page of them.
   */
  modelInfoPage(
    groups: readonly string[],
    q: { model?: string; id?: string; search?: string; page: number; size: number },
  ): ModelInfoPage {
    const needle = q.search?.toLowerCase();
    const named = groups.filter(
      (g) => (q.model === undefined || g === q.model) && (needle === undefined || g.toLowerCase().includes(needle)),
    );
    const all = this.modelInfo(named, q.id).data;
    return {
      data: all.slice((q.page - 1) * q.size, q.page * q.size),
      total_count: all.length,
      current_page: q.page,
      total_pages: Math.ceil(all.length / q.size),
      size: q.size,
    };
  }

  /** `/model_group/info`: each of `groups` summed up (only `group` when given). */
  modelGroups(groups: readonly string[], group?: string): { data: ModelGroupInfo[] } {
    const named = group === undefined ? groups : groups.filter((g) => g === group);
    return { data: named.map((g) => this.groupInfo.get(g)!) };
  }
}

function infoEntry(d: DeploymentConfig): ModelInfoEntry {
  const params: Record<string, unknown> = { model: `${d.provider}/${d.upstreamModel}` };
  if (d.apiBase) params.api_base = publicUrl(d.apiBase);
  const optional = {
    api_version: d.apiVersion,
    organization: d.organization,
    rpm: d.rpm,
    tpm: d.tpm,
    weight: d.weight,
    timeout: d.timeoutSec,
    stream_timeout: d.streamTimeoutSec,
  };
  for (const [k, v] of Object.entries(optional)) if (v !== undefined) params[k] = v;
  return {
    model_name: d.modelName,
    litellm_params: params,
    model_info: {
      id: d.id,
      db_model: false,
      input_cost_per_token: d.inputCostPerToken,
      output_cost_per_token: d.outputCostPerToken,
      ...(d.baseModel !== undefined && { base_model: d.baseModel }),
      ...(d.wildcard && { wildcard: true }),
      // Accepted at start but never called: the reason, as calls to it answer.
      ...(d.unavailable !== undefined && { unavailable: d.unavailable }),
    },
  };
}

/** An api_base as safe to show: no user:password, no query (some servers take a key there). */
function publicUrl(base: string): string {
  try {
    const u = new URL(base);
    return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    return REDACTED;
  }
}
