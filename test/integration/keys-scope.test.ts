import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readJson, startGateway, type InProcessGateway } from '../support/gateway';
import { startStaticJwks, type StaticJwks } from '../support/static-jwks';

const MASTER = 'sk-scope-master-key-0001';

/**
 * Management routes given to callers that are not admins (a virtual key's allowed_routes, a team JWT through
 * general_settings.allowed_routes) reach only their own team's keys — or, for a key without a team, the keys
 * it created — and cannot mint or change a key into more than the caller has.
 */
describe('keys: management by callers that are not admins is scoped', () => {
  let jwks: StaticJwks;
  let gw: InProcessGateway;
  type Answer = { status: number; body: Record<string, any> };
  const api = async (credential: string, method: 'GET' | 'POST', path: string, body?: object): Promise<Answer> => {
    const r = await fetch(`${gw.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${credential}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: r.status, body: await readJson(r) };
  };
  const generate = async (credential: string, fields: object) => {
    const r = await api(credential, 'POST', '/key/generate', fields);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body as { key: string; token: string; team_id: string | null; user_id: string | null; created_by: string };
  };
  const refused = (r: Answer, status: number, code: string, param?: string) => {
    assert.equal(r.status, status, JSON.stringify(r.body));
    assert.equal(r.body.error.code, code);
    if (param) assert.equal(r.body.error.param, param);
  };

  before(async () => {
    jwks = await startStaticJwks();
    gw = await startGateway(
      `
model_list:
  - model_name: m1
    litellm_params: { model: openai/m1, api_base: http://127.0.0.1:9, api_key: sk-up-scope }
  - model_name: m2
    litellm_params: { model: openai/m2, api_base: http://127.0.0.1:9, api_key: sk-up-scope }
general_settings:
  master_key: ${MASTER}
  enable_jwt_auth: true
  allowed_routes: [openai_routes, info_routes, management_routes]
`,
      { JWT_PUBLIC_KEY_URL: jwks.url, JWT_ISSUER: jwks.issuer, JWT_AUDIENCE: jwks.audience },
    );
  });
  after(async () => {
    await gw?.close();
    await jwks?.close();
  });

  it("a virtual key with management routes manages its team's keys only, and never beyond its own rights", async () => {
    const manager = await generate(MASTER, {
      team_id: 'team-a',
      models: ['m1'],
      allowed_routes: ['management_routes', 'info_routes'],
    });
    const other = await generate(MASTER, { team_id: 'team-b', key_alias: 'other-team' });
    const sibling = await generate(MASTER, { team_id: 'team-a' });

    // Minting: within its team, its routes and its models.
    const child = await generate(manager.key, { allowed_routes: ['info_routes'], models: ['m1'] });
    assert.equal(child.team_id, 'team-a', 'a new key joins the caller team');
    assert.equal(child.created_by, `key:${manager.token}`);
    refused(
      await api(manager.key, 'POST', '/key/generate', { models: ['m1'] }),
      403,
      'key_scope_exceeded',
      'allowed_routes',
    ); // default routes include openai_routes
    refused(
      await api(manager.key, 'POST', '/key/generate', {
        allowed_routes: ['management_routes', 'openai_routes'],
        models: ['m1'],
      }),
      403,
      'key_scope_exceeded',
      'allowed_routes',
    );
    refused(
      await api(manager.key, 'POST', '/key/generate', { allowed_routes: ['info_routes'], models: ['m2'] }),
      403,
      'key_scope_exceeded',
      'models',
    );
    refused(
      await api(manager.key, 'POST', '/key/generate', { allowed_routes: ['info_routes'] }),
      403,
      'key_scope_exceeded',
      'models',
    );
    refused(
      await api(manager.key, 'POST', '/key/generate', {
        allowed_routes: ['info_routes'],
        models: ['m1'],
        team_id: 'team-b',
      }),
      403,
      'key_scope_exceeded',
      'team_id',
    );

    // Listing: its team only, whatever filter it asks for.
    const listed = await api(manager.key, 'GET', '/key/list');
    assert.equal(listed.status, 200);
    assert.deepEqual([...listed.body.keys].sort(), [manager.token, sibling.token, child.token].sort());
    assert.deepEqual((await api(manager.key, 'GET', '/key/list?team_id=team-b')).body.keys, []);

    // Another team's key is unknown to it, for every change; nothing happens to it.
    refused(await api(manager.key, 'POST', '/key/update', { key: other.token, max_budget: 0 }), 404, 'key_not_found');
    refused(await api(manager.key, 'POST', '/key/block', { key: other.token }), 404, 'key_not_found');
    refused(await api(manager.key, 'POST', '/key/regenerate', { key: other.token }), 404, 'key_not_found');
    refused(await api(manager.key, 'POST', '/key/delete', { keys: [other.token] }), 404, 'key_not_found');
    refused(await api(manager.key, 'POST', '/key/delete', { key_aliases: ['other-team'] }), 404, 'key_not_found');
    const untouched = await api(MASTER, 'GET', `/key/info?key=${other.token}`);
    assert.equal(untouched.status, 200);
    assert.deepEqual([untouched.body.info.max_budget, untouched.body.info.blocked], [null, false]);
    assert.equal((await api(other.key, 'GET', '/key/info')).status, 200, 'the other key still works');

    // Its own team's keys: changed, but not moved out or widened.
    assert.equal((await api(manager.key, 'POST', '/key/update', { key: child.token, max_budget: 1 })).status, 200);
    refused(
      await api(manager.key, 'POST', '/key/update', { key: child.token, team_id: 'team-b' }),
      403,
      'key_scope_exceeded',
      'team_id',
    );
    refused(
      await api(manager.key, 'POST', '/key/update', {
        key: child.token,
        allowed_routes: ['management_routes', 'openai_routes'],
      }),
      403,
      'key_scope_exceeded',
      'allowed_routes',
    );
    refused(
      await api(manager.key, 'POST', '/key/update', { key: sibling.token, models: ['m2'] }),
      403,
      'key_scope_exceeded',
      'models',
    );
    // Regenerating hands over the new secret: only for a key that has no more than the caller.
    refused(
      await api(manager.key, 'POST', '/key/regenerate', { key: sibling.token }),
      403,
      'key_scope_exceeded',
      'key',
    );
    assert.equal((await api(sibling.key, 'GET', '/key/info')).status, 200, 'the refused regenerate changed nothing');
    const rotated = await api(manager.key, 'POST', '/key/regenerate', { key: child.token });
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    child.token = rotated.body.token;
    // Its own settings are an admin's to change.
    refused(
      await api(manager.key, 'POST', '/key/update', { key: manager.token, allowed_routes: ['management_routes'] }),
      403,
      'key_scope_exceeded',
      'key',
    );
    refused(
      await api(manager.key, 'POST', '/key/update', { key: manager.key, max_budget: 1000 }),
      403,
      'key_scope_exceeded',
      'key',
    );
    assert.equal((await api(manager.key, 'POST', '/key/block', { key: sibling.token })).status, 200);
    assert.deepEqual((await api(manager.key, 'POST', '/key/delete', { keys: [child.token] })).body.deleted_keys, [
      child.token,
    ]);
  });

  it("key_alias is unique within a team: another team's alias is free to take, so a refusal reveals nothing", async () => {
    const manager = await generate(MASTER, {
      team_id: 'alias-a',
      models: ['m1'],
      allowed_routes: ['management_routes', 'info_routes'],
    });
    const theirs = await generate(MASTER, { team_id: 'alias-b', key_alias: 'their-project' });
    const child = { key_alias: 'their-project', allowed_routes: ['info_routes'], models: ['m1'] };
    const mine = await generate(manager.key, child);
    assert.equal(mine.team_id, 'alias-a');
    refused(await api(manager.key, 'POST', '/key/generate', child), 400, 'key_alias_taken', 'key_alias');
    // By alias it reaches its own team's key only.
    assert.deepEqual((await api(manager.key, 'GET', '/key/list?key_alias=their-project')).body.keys, [mine.token]);
    const deleted = await api(manager.key, 'POST', '/key/delete', { key_aliases: ['their-project'] });
    assert.deepEqual(deleted.body.deleted_keys, [mine.token]);
    assert.equal((await api(theirs.key, 'GET', '/key/info')).status, 200, "the other team's key is untouched");
  });

  it('a virtual key with limits of its own (budget, rate limits, expiry) cannot create or change keys', async () => {
    const routes = ['management_routes', 'openai_routes', 'info_routes'];
    const sibling = await generate(MASTER, { team_id: 'team-c' });
    for (const limit of [
      { max_budget: 5 },
      { rpm_limit: 1 },
      { tpm_limit: 10 },
      { max_parallel_requests: 1 },
      { duration: '1d' },
    ]) {
      const limited = await generate(MASTER, { team_id: 'team-c', allowed_routes: routes, ...limit });
      const what = JSON.stringify(limit);
      refused(
        await api(limited.key, 'POST', '/key/generate', { max_budget: 1, duration: '1h' }),
        403,
        'key_scope_exceeded',
        'key',
      );
      refused(
        await api(limited.key, 'POST', '/key/update', { key: sibling.token, max_budget: 1 }),
        403,
        'key_scope_exceeded',
        'key',
      );
      refused(
        await api(limited.key, 'POST', '/key/regenerate', { key: sibling.token }),
        403,
        'key_scope_exceeded',
        'key',
      );
      refused(
        await api(limited.key, 'POST', '/key/update', { key: limited.token, ...limit, max_budget: null }),
        403,
        'key_scope_exceeded',
        'key',
      );
      // It may still read, list and block within its team, and rotate its own secret unless it has rate limits
      // (counted per token: a new one would start its rate windows afresh, a way round them).
      assert.equal((await api(limited.key, 'GET', '/key/list')).status, 200, what);
      assert.equal((await api(limited.key, 'POST', '/key/block', { key: sibling.token })).status, 200, what);
      assert.equal((await api(limited.key, 'POST', '/key/unblock', { key: sibling.token })).status, 200, what);
      const rotated = await api(limited.key, 'POST', '/key/regenerate', { key: limited.token });
      if ('max_budget' in limit || 'duration' in limit)
        assert.equal(rotated.status, 200, `${what}: ${JSON.stringify(rotated.body)}`);
      else {
        refused(rotated, 403, 'key_scope_exceeded', 'key');
        assert.match(rotated.body.error.message, /rate limits/);
        assert.equal(
          (await api(MASTER, 'POST', '/key/regenerate', { key: limited.token })).status,
          200,
          'an admin rotates it',
        );
      }
    }
  });

  it('a virtual key without a team manages only the keys it created', async () => {
    const loner = await generate(MASTER, { allowed_routes: ['management_routes', 'openai_routes', 'info_routes'] });
    const bystander = await generate(MASTER, {});
    const mine = await generate(loner.key, {});
    assert.equal(mine.team_id, null);
    refused(await api(loner.key, 'POST', '/key/generate', { team_id: 'team-a' }), 403, 'key_scope_exceeded', 'team_id');
    assert.deepEqual(
      (await api(loner.key, 'GET', '/key/list')).body.keys,
      [loner.token, mine.token],
      'itself and the key it created, oldest first',
    );
    refused(
      await api(loner.key, 'POST', '/key/update', { key: bystander.token, key_alias: 'taken-over' }),
      404,
      'key_not_found',
    );
    assert.equal((await api(loner.key, 'POST', '/key/update', { key: mine.token, key_alias: 'mine' })).status, 200);
    // It reaches itself too: it may rotate its own secret.
    const rotated = await api(loner.key, 'POST', '/key/regenerate', { key: loner.token });
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    assert.deepEqual((await api(rotated.body.key, 'GET', '/key/list')).body.keys, [rotated.body.token, mine.token]);
  });

  it("a team JWT given management routes manages its team's keys only", async () => {
    const jwt = jwks.token('team-p');
    const outside = await generate(MASTER, { team_id: 'team-q' });
    const own = await generate(jwt, { models: ['m2'] });
    assert.equal(own.team_id, 'team-p');
    assert.match(own.created_by, /^jwt:/, "the JWT's subject is recorded as the creator");
    refused(await api(jwt, 'POST', '/key/generate', { team_id: 'team-q' }), 403, 'key_scope_exceeded', 'team_id');
    // A key of another user would spend that user's budget: only an admin names the user of a key.
    refused(await api(jwt, 'POST', '/key/generate', { user_id: 'victim' }), 403, 'key_scope_exceeded', 'user_id');
    refused(await api(jwt, 'POST', '/key/update', { key: own.token, user_id: 'victim' }), 403, 'key_scope_exceeded');
    assert.equal(own.user_id, null);
    refused(
      await api(jwt, 'POST', '/key/generate', { allowed_routes: ['/key/list', 'openai_routes'] }),
      403,
      'key_scope_exceeded',
      'allowed_routes',
    );
    assert.deepEqual((await api(jwt, 'GET', '/key/list')).body.keys, [own.token]);
    refused(await api(jwt, 'POST', '/key/regenerate', { key: outside.token }), 404, 'key_not_found');
    refused(await api(jwt, 'POST', '/key/delete', { keys: [outside.token] }), 404, 'key_not_found');
    const regenerated = await api(jwt, 'POST', '/key/regenerate', { key: own.token });
    assert.equal(regenerated.status, 200);
    // The master key still manages everything.
    assert.equal(
      (await api(MASTER, 'POST', '/key/delete', { keys: [outside.token, regenerated.body.token] })).status,
      200,
    );
  });

  it('a key an admin blocked stays blocked until an admin unblocks it', async () => {
    const jwt = jwks.token('team-blk');
    const key = await generate(jwt, {});
    const blocked = async () => (await api(jwt, 'GET', `/key/info?key=${key.token}`)).body.info.blocked;
    // Its own block the team lifts itself.
    assert.equal((await api(jwt, 'POST', '/key/block', { key: key.token })).status, 200);
    assert.equal((await api(jwt, 'POST', '/key/unblock', { key: key.token })).status, 200);
    assert.equal(await blocked(), false);
    // An admin's block: no unblock, by any route, and no re-block that would make the block the team's own.
    assert.equal((await api(MASTER, 'POST', '/key/block', { key: key.token })).status, 200);
    refused(await api(jwt, 'POST', '/key/unblock', { key: key.token }), 403, 'key_scope_exceeded', 'key');
    refused(
      await api(jwt, 'POST', '/key/update', { key: key.token, blocked: false }),
      403,
      'key_scope_exceeded',
      'key',
    );
    refused(
      await api(jwt, 'POST', '/key/regenerate', { key: key.token, blocked: false }),
      403,
      'key_scope_exceeded',
      'key',
    );
    refused(await api(jwt, 'POST', '/key/block', { key: key.token }), 403, 'key_scope_exceeded', 'key');
    refused(await api(jwt, 'POST', '/key/unblock', { key: key.token }), 403, 'key_scope_exceeded', 'key');
    assert.equal(await blocked(), true);
    refused(await api(key.key, 'GET', '/v1/models'), 401, 'key_blocked');
    // Changes that leave the block alone still work; a key of another team is still unknown.
    assert.equal(
      (await api(jwt, 'POST', '/key/update', { key: key.token, key_alias: 'blocked-by-admin' })).status,
      200,
    );
    assert.equal(await blocked(), true);
    refused(await api(jwks.token('team-other'), 'POST', '/key/unblock', { key: key.token }), 404, 'key_not_found');
    // The admin lifts it.
    assert.equal((await api(MASTER, 'POST', '/key/unblock', { key: key.token })).status, 200);
    assert.equal(await blocked(), false);
    assert.equal((await api(key.key, 'GET', '/v1/models')).status, 200);
  });
});
