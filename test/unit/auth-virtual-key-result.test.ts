import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import type { KeyLookup } from '../../src/auth/key-lookup';
import type { AccessDirectory } from '../../src/keys/access/access-directory';
import { RoutePolicies } from '../../src/auth/routes/route-policies';
import { VirtualKeyStrategy } from '../../src/auth/strategies/virtual-key.strategy';
import { loadGatewayConfig } from '../../src/config/config.loader';
import type { KeyRecord } from '../../src/keys/key-record';
import { keyRecord } from '../support/auth-probe';
import { ROOT, writeConfig } from '../support/gateway';

describe("virtual key strategy: a key's caller, made on its first use", () => {
  it('is made once per key record, kept on the record, made again for a changed key (a new record)', () => {
    const { records, strategy } = strategyOver(users());
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

  it("carries its user's role, made again when a user's role changed and only then", () => {
    const roles = new Map<string, string | null>([['u1', 'proxy_admin_viewer']]);
    const dir = users(roles);
    const { records, strategy } = strategyOver(dir);
    const [a, b] = ['a'.repeat(64), 'b'.repeat(64)];
    records.set(a, keyRecord(a, { userId: 'u1' }));
    records.set(b, keyRecord(b, { userId: 'u1', allowedRoutes: ['/team/list', '/team/new'] }));
    const first = strategy.warmResult(a)!;
    assert.equal(first.caller.role, 'proxy_admin_viewer');
    assert.equal(first.caller.via, 'virtual_key');
    assert.ok(
      first.policy.allows('/team/list') &&
        !first.policy.allows('/team/new') &&
        !first.policy.allows('/chat/completions'),
    );
    // Within its own allowed_routes: never more than either.
    const narrow = strategy.warmResult(b)!;
    assert.ok(
      narrow.policy.allows('/team/list') && !narrow.policy.allows('/team/new') && !narrow.policy.allows('/user/list'),
    );
    // Another user changed: a new version, the same role, the same result.
    dir.usersVersion++;
    assert.equal(strategy.warmResult(a), first);
    roles.set('u1', 'internal_user');
    dir.usersVersion++;
    const demoted = strategy.warmResult(a)!;
    assert.equal(demoted.caller.role, 'internal_user');
    assert.ok(!demoted.policy.allows('/team/list') && demoted.policy.allows('/key/generate'));
    roles.set('u1', 'proxy_admin');
    dir.usersVersion++;
    assert.equal(strategy.warmResult(a)!.caller.role, 'admin');
    roles.delete('u1');
    dir.usersVersion++;
    assert.equal(strategy.warmResult(a)!.caller.role, 'virtual_key');
    roles.set('u1', 'customer');
    dir.usersVersion++;
    assert.equal(strategy.warmResult(a)!.caller.role, 'virtual_key');
  });
});

/** The users as the strategy asks about them: roles from a map, and a version the test raises. */
/** The strategy over key records held in a map (what the key cache would answer), users from `dir`. */
function strategyOver(dir: AccessDirectory): { records: Map<string, KeyRecord>; strategy: VirtualKeyStrategy } {
  const records = new Map<string, KeyRecord>();
  const lookup: KeyLookup = {
    findByHash: (token) => Promise.resolve(records.get(token) ?? null),
    get: (token) => records.get(token),
  };
  const config = loadGatewayConfig({ argv: ['--config', writeConfig('model_list: []\n')], env: {}, cwd: ROOT });
  return {
    records,
    strategy: new VirtualKeyStrategy(lookup, new RoutePolicies(config), dir, pino({ level: 'silent' })),
  };
}

function users(roles = new Map<string, string | null>()): AccessDirectory & { usersVersion: number } {
  return {
    hasTeam: () => true,
    hasUser: (id) => roles.has(id),
    userRoleOf: (id) => roles.get(id),
    usersVersion: 0,
    upsertTeam: () => Promise.resolve(),
    upsertUser: () => Promise.resolve(),
  };
}
