import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import type { KeyLookup } from '../../src/auth/key-lookup';
import { RoutePolicies } from '../../src/auth/routes/route-policies';
import { VirtualKeyStrategy } from '../../src/auth/strategies/virtual-key.strategy';
import { loadGatewayConfig } from '../../src/config/config.loader';
import type { KeyRecord } from '../../src/keys/key-record';
import { keyRecord } from '../support/auth-probe';
import { ROOT, writeConfig } from '../support/gateway';

describe("virtual key strategy: a key's caller, made on its first use", () => {
  it('is made once per key record, kept on the record, made again for a changed key (a new record)', () => {
    const records = new Map<string, KeyRecord>();
    const lookup: KeyLookup = {
      findByHash: (token) => Promise.resolve(records.get(token) ?? null),
      get: (token) => records.get(token),
    };
    const config = loadGatewayConfig({ argv: ['--config', writeConfig('model_list: []\n')], env: {}, cwd: ROOT });
    const strategy = new VirtualKeyStrategy(lookup, new RoutePolicies(config), pino({ level: 'silent' }));
    const [a, b] = ['a'.repeat(64), 'b'.repeat(64)];
    records.set(a, keyRecord(a, { teamId: 'team-1' }));
    records.set(b, keyRecord(b));
    const first = strategy.warmResult(a)!;
    assert.equal(first.caller.teamId, 'team-1');
    assert.equal(strategy.warmResult(a), first);
    assert.equal(records.get(a)!.authResult, first);
    assert.ok(Object.isFrozen(first) && Object.isFrozen(first.caller) && Object.isFrozen(first.caller.scopes));
    // Keys share what they have alike: no empty scopes list of their own.
    assert.equal(strategy.warmResult(b)!.caller.scopes, first.caller.scopes);
    records.set(a, keyRecord(a, { teamId: 'team-2' }));
    assert.equal(strategy.warmResult(a)!.caller.teamId, 'team-2');
  });
});
