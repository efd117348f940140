import type { Dispatcher } from 'undici';
import type { DeploymentConfig } from '../../config/gateway-config';
import type { Provider, UpstreamEndpoint } from '../providers/provider';
import { DeploymentHealth } from './deployment-health';
import { UsageWindow } from './usage-window';

/** One `model_list` entry, compiled at start: everything a call needs, plus its live health and usage. */
export class Deployment {
  readonly id: string;
  /** The id as an HTTP header value (`x-litellm-model-id`). */
  readonly headerId: string;
  readonly health: DeploymentHealth;
  readonly usage: UsageWindow;
  /** Cleared when the upstream refuses `stream_options` (old API versions): usage is then estimated. */
  streamUsage: boolean;

  constructor(
    readonly config: DeploymentConfig,
    readonly provider: Provider,
    readonly endpoint: UpstreamEndpoint,
    /** The keep-alive pool of the endpoint's origin (shared by deployments on the same origin). */
    readonly pool: Dispatcher,
    /** Response-headers and body-idle timeout, non-streaming / streaming calls. */
    readonly timeoutMs: number,
    readonly streamTimeoutMs: number,
    router: { allowedFails: number; cooldownMs: number },
  ) {
    this.id = config.id;
    this.headerId = /^[\x20-\x7e]*$/.test(config.id) ? config.id : encodeURIComponent(config.id);
    this.health = new DeploymentHealth(router.allowedFails, router.cooldownMs);
    this.usage = new UsageWindow(config.rpm, config.tpm);
    this.streamUsage = endpoint.streamUsage;
  }

  /** Can take a call now: not cooling down and under its rpm/tpm. */
  usable(now: number): boolean {
    return this.health.available(now) && this.usage.hasRoom(now);
  }
}
