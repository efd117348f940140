import { Inject, Injectable } from '@nestjs/common';
import { REDACTED, redactDeep } from '../../common/redact';
import { GATEWAY_CONFIG, type DeploymentConfig, type GatewayConfig } from '../../config/gateway-config';

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

/**
 * What `GET /models` and `GET /model/info` answer, built once at start. `/model/info` is LiteLLM's shape with
 * every secret removed: no `api_key`, no credentials or query in `api_base`, and any configured secret value
 * that still shows up anywhere is replaced.
 */
@Injectable()
export class ModelCatalog {
  readonly groups: readonly string[];
  private readonly models = new Map<string, ModelObject>();
  private readonly info = new Map<string, ModelInfoEntry[]>();

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
