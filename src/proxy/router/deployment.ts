import type { Dispatcher } from 'undici';
import type { DeploymentConfig } from '../../config/gateway-config';
import type { Provider, UpstreamEndpoint } from '../providers/provider';
import { DeploymentHealth } from './deployment-health';
import { LatencyWindow } from './latency-window';
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
  /** `drop_params`: a parameter the upstream refuses as unsupported is removed and the call sent again. */
  readonly dropParams: boolean;
  /** A wildcard deployment (`model: openai/*`): the requested name is passed on as the upstream model. */
  readonly passThrough: boolean;
  /** Calls sent and not finished (least-busy routing). */
  active = 0;
  /** Calls in flight on the other instances, as of the last Redis sync (least-busy routing; 0 without Redis). */
  othersActive = 0;
  /** Recent answer latencies (latency-based routing only). */
  readonly latency: LatencyWindow | null;

  constructor(
    readonly config: DeploymentConfig,
    readonly provider: Provider,
    readonly endpoint: UpstreamEndpoint,
    /** The keep-alive pool of the endpoint's origin (shared by deployments on the same origin). */
    readonly pool: Dispatcher,
    /** Response-headers and body-idle timeout, non-streaming / streaming calls. */
    readonly timeoutMs: number,
    readonly streamTimeoutMs: number,
    router: {
      allowedFails: number;
      cooldownMs: number;
      dropParams?: boolean;
      trackUsage?: boolean;
      latencyTtlMs?: number;
    },
  ) {
    this.id = config.id;
    this.headerId = /^[\x20-\x7e]*$/.test(config.id) ? config.id : encodeURIComponent(config.id);
    this.health = new DeploymentHealth(router.allowedFails, router.cooldownMs);
    this.usage = new UsageWindow(config.rpm, config.tpm, router.trackUsage);
    this.latency = router.latencyTtlMs !== undefined ? new LatencyWindow(router.latencyTtlMs) : null;
    this.streamUsage = endpoint.streamUsage;
    this.dropParams = config.dropParams ?? router.dropParams ?? false;
    this.passThrough = config.upstreamModel === '*';
  }

  /** The upstream model for a requested name (pass-through deployments): without this provider's prefix. */
  upstreamFor(requested: string): string {
    const prefix = `${this.config.provider}/`;
    return requested.startsWith(prefix) ? requested.slice(prefix.length) : requested;
  }

  /** Can take a call now: not cooling down and under its rpm/tpm. */
  usable(now: number): boolean {
    return this.health.available(now) && this.usage.hasRoom(now);
  }
}
