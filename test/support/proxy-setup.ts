import OpenAI from 'openai';
import { startGateway, type InProcessGateway } from './gateway';
import { startUpstream, type FakeUpstream, type Responder } from './upstream';

/** An OpenAI client of a gateway's /v1 with `apiKey`, without retries: a test sees each answer as it came. */
export function openaiClient(gatewayUrl: string, apiKey: string): OpenAI {
  return new OpenAI({ apiKey, baseURL: `${gatewayUrl}/v1`, maxRetries: 0 });
}

export interface ProxySetup {
  readonly up: FakeUpstream;
  readonly gw: InProcessGateway;
  /** An OpenAI client of the gateway, with the setup's `apiKey`. */
  readonly client: OpenAI;
  /** Closes the gateway, then the upstream. */
  close(): Promise<void>;
}

export interface ProxySetupOptions {
  /** The gateway's config.yaml, given the fake upstream's URL. */
  yaml: (upstreamUrl: string) => string;
  /** The key the setup's client calls with (usually the master key). */
  apiKey: string;
  /** How the fake upstream answers (default: its own default answer). */
  respond?: Responder;
  env?: Record<string, string | undefined>;
}

/** The proxy tests' set-up: a fake upstream, a gateway from YAML pointing at it, and an OpenAI client. */
export async function startProxy(opts: ProxySetupOptions): Promise<ProxySetup> {
  const up = await startUpstream(opts.respond);
  let gw: InProcessGateway;
  try {
    gw = await startGateway(opts.yaml(up.url), opts.env);
  } catch (err) {
    await up.close();
    throw err;
  }
  return {
    up,
    gw,
    client: openaiClient(gw.url, opts.apiKey),
    close: async () => {
      await gw.close();
      await up.close();
    },
  };
}

/**
 * A gateway's config.yaml with `masterKey` and one model group, `m`, sent to the fake upstream at `upstreamUrl`
 * without retries; `modelInfo` (e.g. its prices) goes under the deployment's model_info.
 */
export function oneModelYaml(masterKey: string, upstreamUrl: string, modelInfo: Record<string, number> = {}): string {
  const info = Object.entries(modelInfo).map(([k, v]) => `\n      ${k}: ${v}`);
  return `general_settings:
  master_key: ${masterKey}
model_list:
  - model_name: m
    litellm_params:
      model: openai/gpt-upstream
      api_base: ${upstreamUrl}/v1
      api_key: upstream-key${info.length ? `\n    model_info:${info.join('')}` : ''}
router_settings:
  num_retries: 0
`;
}
