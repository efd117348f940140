import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GatewayError } from '../../src/common/errors/gateway-error';
import { withinScope, type KeyScope } from '../../src/keys/key-scope';

const internalUser = (memberTeams: string[]): KeyScope => ({
  ofUser: 'u1',
  userId: 'u1',
  memberTeams,
  keysOfUser: true,
  routes: ['openai_routes', 'info_routes'],
  models: null,
  limited: false,
});

const refusal = (scope: KeyScope, teamId: string): GatewayError => {
  try {
    withinScope(scope, { team_id: teamId }, true);
  } catch (err) {
    return err as GatewayError;
  }
  assert.fail(`team_id ${teamId} was accepted`);
};

describe("an internal user's key teams: those whose members include it", () => {
  it('takes a team it is a member of, and names its teams when refusing another', () => {
    assert.equal(withinScope(internalUser(['t1', 't2']), { team_id: 't2' }, true).team_id, 't2');
    const err = refusal(internalUser(['t1', 't2']), 'other');
    assert.equal(err.status, 403);
    assert.equal(err.param, 'team_id');
    assert.match(err.message, /member of \(t1, t2\)/);
  });

  it('names only the first few of many teams, so that the message stays short', () => {
    const many = Array.from({ length: 500 }, (_, i) => `team-${String(i).padStart(3, '0')}-${'x'.repeat(200)}`);
    const err = refusal(internalUser(many), 'other');
    assert.ok(err.message.length < 3000, `${err.message.length} characters`);
    assert.match(err.message, /team-000-x+, .* and 490 more/);
    assert.ok(!err.message.includes('team-499'));
  });
});
