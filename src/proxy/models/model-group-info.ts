import type { DeploymentConfig } from '../../config/gateway-config';

/** One model group as LiteLLM's `/model_group/info` answers it (its `ModelGroupInfo`). */
export interface ModelGroupInfo {
  readonly model_group: string;
  readonly providers: readonly string[];
  readonly max_input_tokens: number | null;
  readonly max_output_tokens: number | null;
  readonly input_cost_per_token: number | null;
  readonly output_cost_per_token: number | null;
  readonly mode: string | null;
  readonly tpm: number | null;
  readonly rpm: number | null;
  readonly supports_parallel_function_calling: boolean;
  readonly supports_vision: boolean;
  readonly supports_function_calling: boolean;
  readonly supported_openai_params: readonly string[];
}

/**
 * A group from its deployments, as LiteLLM's router sums it up: every provider once, the highest token limit and
 * price of any deployment, the first mode configured, and tpm / rpm added up over the deployments that set them.
 * What LiteLLM reads from its model cost map (input token limit, capabilities, supported parameters) the gateway
 * has no map for: null, false and [] as LiteLLM answers for a model missing from it.
 */
export function modelGroupInfo(name: string, deployments: readonly DeploymentConfig[]): ModelGroupInfo {
  return {
    model_group: name,
    providers: [...new Set(deployments.map((d) => d.provider))],
    max_input_tokens: null,
    max_output_tokens: highest(deployments.map((d) => d.maxOutputTokens)),
    input_cost_per_token: highest(deployments.map((d) => d.inputCostPerToken)),
    output_cost_per_token: highest(deployments.map((d) => d.outputCostPerToken)),
    mode: deployments.find((d) => d.mode !== undefined)?.mode ?? null,
    tpm: total(deployments.map((d) => d.tpm)),
    rpm: total(deployments.map((d) => d.rpm)),
    supports_parallel_function_calling: false,
    supports_vision: false,
    supports_function_calling: false,
    supported_openai_params: [],
  };
}

function highest(values: readonly (number | undefined)[]): number | null {
  const set = values.filter((v): v is number => v !== undefined);
  return set.length ? Math.max(...set) : null;
}

function total(values: readonly (number | undefined)[]): number | null {
  const set = values.filter((v): v is number => v !== undefined);
  return set.length ? set.reduce((a, b) => a + b, 0) : null;
}
