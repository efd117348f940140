import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { REDIS_PREFIX } from '../redis/keys-redis.service';
import { ADMIT_SCRIPT, RELEASE_SCRIPT } from './limit-scripts';
import { limitError, type LimitKind, type LimitScope, type LimitTicket, type Limiter } from './limiter';
import { MemoryLimiter } from './memory-limiter';

type ScriptReply = [number, number, number, number];
interface LimitCommands {
  gwLimitAdmit(numKeys: number, ...args: (string | number)[]): Promise<ScriptReply>;
  gwLimitRelease(numKeys: number, ...args: (string | number)[]): Promise<number>;
}

const KINDS: Record<number, LimitKind> = { 1: 'rpm', 2: 'tpm', 3: 'parallel' };
const WARN_EVERY_MS = 30_000;
/**
 * When a release fails (a Redis blip), it is sent again after these delays: an unreleased parallel slot is held until
 * its lease expires (the longest a call can take, often many minutes), locking out a key with max_parallel_requests 1.
 */
export const RELEASE_RETRY_MS: readonly number[] = [500, 2_000, 10_000, 30_000];

/**
 * Limits shared by every instance through Redis (one script call per admitted call that has limits). When Redis
 * cannot answer, the call is judged by the in-process limiter instead (per-instance limits) rather than failing.
 */
export class RedisLimiter implements Limiter {
  private readonly redis: Redis & LimitCommands;
  private readonly fallback = new MemoryLimiter();
  private seq = 0;
  private lastWarn = 0;

  constructor(
    redis: Redis,
    private readonly instanceId: string,
    private readonly leaseMs: number,
    private readonly log: Logger,
  ) {
    redis.defineCommand('gwLimitAdmit', { lua: ADMIT_SCRIPT });
    redis.defineCommand('gwLimitRelease', { lua: RELEASE_SCRIPT });
    this.redis = redis as Redis & LimitCommands;
  }

  async acquire(scopes: readonly LimitScope[]): Promise<LimitTicket> {
    const keys = scopes.flatMap((s) => keysOf(s.id));
    const member = `${this.instanceId}:${(++this.seq).toString(36)}`;
    const limits = scopes.flatMap((s) => [s.rpm ?? -1, s.tpm ?? -1, s.parallel ?? -1]);
    let reply: ScriptReply;
    try {
      reply = await this.redis.gwLimitAdmit(keys.length, ...keys, member, this.leaseMs, ...limits);
    } catch (err) {
      this.warn(err, 'admit');
      return this.fallback.acquire(scopes);
    }
    if (reply[0] !== 1) throw limitError(scopes[reply[1] - 1], KINDS[reply[2]], reply[3]);
    const releaseArgs = scopes.flatMap((s) => [s.tpm ?? -1, s.parallel ?? -1]);
    let released = false;
    return {
      release: (tokens: number) => {
        if (released) return;
        released = true;
        if (!scopes.some((s) => s.parallel !== null || (s.tpm !== null && tokens > 0))) return;
        this.sendRelease([...keys, member, Math.max(0, Math.round(tokens)), ...releaseArgs], keys.length, 0);
      },
    };
  }

  private sendRelease(args: (string | number)[], numKeys: number, attempt: number): void {
    this.redis.gwLimitRelease(numKeys, ...args).catch((err: unknown) => {
      this.warn(err, 'release');
      if (attempt >= RELEASE_RETRY_MS.length) return;
      setTimeout(() => this.sendRelease(args, numKeys, attempt + 1), RELEASE_RETRY_MS[attempt]).unref();
    });
  }

  close(): void {
    this.fallback.close();
  }

  private warn(err: unknown, op: string): void {
    const now = Date.now();
    if (now - this.lastWarn < WARN_EVERY_MS) return;
    this.lastWarn = now;
    this.log.warn(
      { err: (err as Error).message, op },
      'redis rate limiting unavailable; using in-process limits meanwhile',
    );
  }
}

function keysOf(scopeId: string): [string, string, string] {
  const base = `${REDIS_PREFIX}rl:{${scopeId}}:`;
  return [`${base}rpm`, `${base}tpm`, `${base}par`];
}
