import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import Redis from 'ioredis';
import { RedisLimiter } from '../../src/keys/limits/redis-limiter';
import { REDIS_PREFIX } from '../../src/keys/redis/keys-redis.service';
import type { LimitScope } from '../../src/keys/limits/limiter';
import { createLogger } from '../../src/logging/logger';
import { GatewayError } from '../../src/common/errors/gateway-error';
import { silentLog } from '../support/database';
import { LogCapture } from '../support/gateway';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('Redis limiter: a release lost to a Redis blip', () => {
  const redis = new Redis(REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 1 });
  after(() => redis.quit().then(() => undefined));

  it('is sent again, so a parallel slot is not held until its lease expires', async () => {
    const logs = new LogCapture();
    const limiter = new RedisLimiter(
      redis,
      `test-${randomBytes(4).toString('hex')}`,
      600_000,
      createLogger({ level: 'info', secrets: ['unused-secret'] }, logs),
    );
    const scope: LimitScope = {
      id: `k:release-${randomBytes(6).toString('hex')}`,
      label: 'key',
      rpm: null,
      tpm: null,
      parallel: 1,
    };
    const ticket = await limiter.acquire([scope]);
    await assert.rejects(
      Promise.resolve().then(() => limiter.acquire([scope])),
      (e: unknown) => e instanceof GatewayError && e.status === 429,
    );
    // The first release fails as a dropped connection would make it; later ones reach Redis.
    const commands = redis as unknown as { gwLimitRelease(...a: unknown[]): Promise<number> };
    const real = commands.gwLimitRelease.bind(redis);
    let failures = 1;
    commands.gwLimitRelease = (...a: unknown[]) =>
      failures-- > 0 ? Promise.reject(new Error('Connection is closed.')) : real(...a);
    ticket.release(0);
    const deadline = Date.now() + 5_000;
    for (;;) {
      try {
        (await limiter.acquire([scope])).release(0);
        break;
      } catch (err) {
        assert.ok(err instanceof GatewayError && err.status === 429, String(err));
        assert.ok(Date.now() < deadline, 'the slot was never released');
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    assert.ok(failures < 0, 'the failed release was followed by one that went through');
    assert.match(logs.text(), /"op":"release"/);
    limiter.close();
  });
});

describe('Redis limiter: the writes of one event-loop turn', () => {
  const redis = new Redis(REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 1 });
  after(() => redis.quit().then(() => undefined));

  it('leave in one write: admissions together, releases together', async () => {
    const limiter = new RedisLimiter(redis, `test-${randomBytes(4).toString('hex')}`, 600_000, silentLog());
    const scope: LimitScope = {
      id: `k:turn-${randomBytes(6).toString('hex')}`,
      label: 'key',
      rpm: 1000,
      tpm: null,
      parallel: 10,
    };
    // One call before counting: ioredis sends a script whole (EVAL) on its first use on a connection.
    (await limiter.acquire([scope])).release(0);
    await new Promise((r) => setTimeout(r, 50));
    const stream = redis.stream as unknown as Record<'_write' | '_writev', (...a: unknown[]) => void>;
    let writes = 0;
    for (const name of ['_write', '_writev'] as const) {
      const real = stream[name].bind(stream);
      stream[name] = (...a: unknown[]) => (writes++, real(...a));
    }
    const tickets = await Promise.all(Array.from({ length: 5 }, async () => limiter.acquire([scope])));
    assert.equal(writes, 1, 'five admissions in one turn: one write');
    writes = 0;
    for (const t of tickets) t.release(0);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(writes, 1, 'five releases in one turn: one write');
    const held = await redis.zcard(`${REDIS_PREFIX}rl:{${scope.id}}:par`);
    assert.equal(held, 0, 'every slot was freed');
    limiter.close();
  });
});
