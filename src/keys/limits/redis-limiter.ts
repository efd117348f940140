import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { REDIS_PREFIX } from '../redis/keys-redis.service';
import { ADMIT_SCRIPT, RELEASE_SCRIPT, RENEW_SCRIPT } from './limit-scripts';
import { budgetError, limitError, type LimitKind, type LimitScope, type LimitTicket, type Limiter } from './limiter';
import { MemoryLimiter } from './memory-limiter';
import { RedisBreaker } from './redis-breaker';
import { TurnWrites } from './turn-writes';

type ScriptReply = [number, number, number?, (number | string)?, string?];
/** Arguments: ioredis flattens arrays among them (one level), which spares copying the keys into one array. */
type ScriptArg = string | number | readonly (string | number)[];
interface LimitCommands {
  gwLimitAdmit(numKeys: number, ...args: ScriptArg[]): Promise<ScriptReply>;
  gwLimitRelease(numKeys: number, ...args: ScriptArg[]): Promise<number>;
  gwLimitRenew(numKeys: number, ...args: ScriptArg[]): Promise<number>;
}

const KINDS: Record<number, LimitKind> = { 1: 'rpm', 2: 'tpm', 3: 'parallel' };
/**
 * When a release fails (a Redis blip), it is sent again after these delays: an unreleased parallel slot is held until
 * its lease expires, locking out a key with max_parallel_requests 1 meanwhile.
 */
export const RELEASE_RETRY_MS: readonly number[] = [500, 2_000, 10_000, 30_000];
const WARN_EVERY_MS = 30_000;
/** Most calls renewed by one script call. */
const RENEW_BATCH = 500;
/** Most scopes whose Redis keys are remembered (past it the memo starts again: it only saves building strings). */
const KEYS_MEMO_MAX = 10_000;

/**
 * Limits shared by every instance through Redis (one script call per admitted call that has limits or a budget).
 * Calls in flight are renewed together every third of the lease, so a slot or a reservation outlives its lease only
 * when its instance died. When Redis cannot answer, the breaker sends calls to the in-process limiter (per-instance
 * limits) until Redis answers again.
 */
export class RedisLimiter implements Limiter {
  private readonly redis: Redis & LimitCommands;
  private readonly fallback = new MemoryLimiter();
  readonly breaker: RedisBreaker;
  /** Admitted calls that hold a slot or a reservation in Redis, renewed by the heartbeat. */
  private readonly held = new Set<RedisTicket>();
  private readonly heartbeat: NodeJS.Timeout;
  private seq = 0;
  private lastWarn = 0;
  /** Each scope's four Redis keys (rpm, tpm, calls, budget), by scope id. */
  private readonly keyMemo = new Map<string, readonly string[]>();
  private readonly turn: TurnWrites;

  constructor(
    redis: Redis,
    private readonly instanceId: string,
    private readonly leaseMs: number,
    private readonly log: Logger,
    /** Its database's namespace (redis-namespace.ts); '' for none. */
    private readonly namespace = '',
  ) {
    redis.defineCommand('gwLimitAdmit', { lua: ADMIT_SCRIPT });
    redis.defineCommand('gwLimitRelease', { lua: RELEASE_SCRIPT });
    redis.defineCommand('gwLimitRenew', { lua: RENEW_SCRIPT });
    this.redis = redis as Redis & LimitCommands;
    this.turn = new TurnWrites(redis);
    this.breaker = new RedisBreaker(() => redis.ping(), log);
    this.heartbeat = setInterval(() => this.renew(), Math.max(100, Math.floor(leaseMs / 3)));
    this.heartbeat.unref();
  }

  acquire(scopes: readonly LimitScope[], tokens = 0, cost = 0, nowMs?: number): LimitTicket | Promise<LimitTicket> {
    if (this.breaker.open) return this.fallback.acquire(scopes, tokens, cost, nowMs);
    return this.admit(scopes, Math.ceil(tokens), cost);
  }

  private async admit(scopes: readonly LimitScope[], tokens: number, cost: number): Promise<LimitTicket> {
    const keys: string[] = [];
    const args: (string | number)[] = [`${this.instanceId}:${(++this.seq).toString(36)}`, this.leaseMs, tokens, cost];
    for (const s of scopes) {
      const own = this.keyMemo.get(s.id) ?? this.keysOf(s.id);
      keys.push(own[0], own[1], own[2], own[3]);
      args.push(s.rpm ?? -1, s.tpm ?? -1, s.parallel ?? -1, s.budget ?? -1, s.spent ?? 0, s.period ?? 0);
    }
    let reply: ScriptReply;
    try {
      this.turn.hold();
      reply = await this.redis.gwLimitAdmit(keys.length, keys, args);
    } catch (err) {
      this.failed(err, 'admit');
      return this.fallback.acquire(scopes, tokens, cost);
    }
    if (reply[0] !== 1) {
      const scope = scopes[reply[1] - 1];
      if (reply[2] === 4) throw budgetError(scope, Number(reply[3]), Number(reply[4]));
      throw limitError(scope, KINDS[reply[2] as number], Number(reply[3]));
    }
    const ticket = new RedisTicket(this, scopes, keys, args[0] as string, reply[1], tokens);
    if (ticket.holds) this.held.add(ticket);
    return ticket;
  }

  /** The prefix of a scope's Redis keys; the scope id is their hash tag, so the four share a cluster slot. */
  keyBase(id: string): string {
    return `${REDIS_PREFIX}${this.namespace ? `${this.namespace}:` : ''}rl:{${id}}:`;
  }

  private keysOf(id: string): readonly string[] {
    const base = this.keyBase(id);
    const keys = [`${base}rpm`, `${base}tpm`, `${base}par`, `${base}bud`];
    if (this.keyMemo.size >= KEYS_MEMO_MAX) this.keyMemo.clear();
    this.keyMemo.set(id, keys);
    return keys;
  }

  /**
   * A command failed. Redis answering with an error (a script refusing its arguments) says nothing of its health: that
   * call alone is decided here. A timeout or a lost connection opens the breaker.
   */
  private failed(err: unknown, op: string): void {
    if ((err as Error | undefined)?.name !== 'ReplyError') {
      this.breaker.trip(err, op);
      return;
    }
    const now = Date.now();
    if (now - this.lastWarn < WARN_EVERY_MS) return;
    this.lastWarn = now;
    this.log.warn({ err: (err as Error).message, op }, 'redis refused a limit command; that call decided in-process');
  }

  forget(scopeIds: readonly string[]): void {
    // One command per scope: each scope's keys share a hash slot, different scopes need not.
    for (const id of scopeIds) {
      this.keyMemo.delete(id);
      const base = this.keyBase(id);
      this.redis.del(`${base}rpm`, `${base}tpm`, `${base}par`, `${base}bud`).catch((err: unknown) => {
        this.log.warn({ err: (err as Error).message, op: 'forget' }, 'could not remove a deleted scope from redis');
      });
    }
  }

  /** Called once by each ticket. */
  settle(t: RedisTicket, used: number, cost: number): void {
    this.held.delete(t);
    const flags: number[] = [];
    let any = t.holds;
    for (const s of t.scopes) {
      flags.push(s.tpm ?? -1, s.parallel ?? s.budget ?? -1, s.budget ?? -1);
      if (s.tpm !== null && (used > 0 || t.tokens > 0)) any = true;
    }
    if (!any) return;
    const args: ScriptArg[] = [
      t.keys,
      t.member,
      Math.max(0, Math.round(used)),
      t.tokens,
      t.second,
      cost > 0 ? cost : 0,
      flags,
    ];
    this.sendRelease(args, t.keys.length, 0);
  }

  private sendRelease(args: ScriptArg[], numKeys: number, attempt: number): void {
    this.turn.hold();
    this.redis.gwLimitRelease(numKeys, ...args).catch((err: unknown) => {
      // Not a trip: releases are sent again anyway, and the next admission tells whether Redis is gone.
      const now = Date.now();
      if (now - this.lastWarn >= WARN_EVERY_MS) {
        this.lastWarn = now;
        this.log.warn({ err: (err as Error).message, op: 'release' }, 'redis limit release failed; sent again');
      }
      if (attempt >= RELEASE_RETRY_MS.length) return;
      setTimeout(() => this.sendRelease(args, numKeys, attempt + 1), RELEASE_RETRY_MS[attempt]).unref();
    });
  }

  /** The heartbeat: every held call's entries renewed, in a few script calls. */
  private renew(): void {
    if (this.held.size === 0 || this.breaker.open) return;
    let keys: string[] = [];
    let members: string[] = [];
    const send = () => {
      this.redis.gwLimitRenew(keys.length, keys, this.leaseMs, members).catch((err: unknown) => {
        this.failed(err, 'renew');
      });
      keys = [];
      members = [];
    };
    for (const t of this.held) {
      for (let i = 0; i < t.scopes.length; i++) {
        const s = t.scopes[i];
        if (s.parallel === null && s.budget == null) continue;
        keys.push(t.keys[i * 4 + 2]);
        members.push(t.member);
      }
      if (keys.length >= RENEW_BATCH) send();
    }
    if (keys.length > 0) send();
  }

  close(): void {
    clearInterval(this.heartbeat);
    this.breaker.stop();
    this.fallback.close();
  }
}

/** A call admitted through Redis: what its release must settle. */
class RedisTicket implements LimitTicket {
  /** It holds an entry in some scope's set of calls in flight (a parallel slot or a reservation). */
  readonly holds: boolean;
  private released = false;

  constructor(
    private readonly limiter: RedisLimiter,
    readonly scopes: readonly LimitScope[],
    readonly keys: readonly string[],
    readonly member: string,
    /** The Redis second its counts went in. */
    readonly second: number,
    /** Tokens reserved against tpm limits. */
    readonly tokens: number,
  ) {
    this.holds = scopes.some((s) => s.parallel !== null || s.budget != null);
  }

  release(tokens: number, cost = 0): void {
    if (this.released) return;
    this.released = true;
    this.limiter.settle(this, tokens, cost);
  }
}
