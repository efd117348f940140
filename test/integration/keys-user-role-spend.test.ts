import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../support/faults';
import { assertError, managementApi } from '../support/management-api';
import { sql } from '../support/postgres';
import { startProxy, type ProxyOnDatabase } from '../support/proxy-setup';

const MASTER = 'sk-master-key-role-spend-0001';
const TODAY = new Date().toISOString().slice(0, 10);

/**
 * An internal user's key reads its own user's spend through LiteLLM's spend routes of its role (an internal user
 * viewer's, every spend read), and never another user's; an internal user makes keys of the teams it is a member of.
 */
describe("an internal user's key: its own spend, and keys of its teams", () => {
  let setup: ProxyOnDatabase;
  const { api, ok } = managementApi(() => setup.gw.url, MASTER);
  const keys: Record<string, { key: string; token: string }> = {};
  const chat = (key: string) =>
    api('POST', '/v1/chat/completions', { model: 'm', messages: [{ role: 'user', content: 'hi' }] }, key);
  const rowCount = async () =>
    Number((await sql<{ n: string }>(setup.db.url, 'SELECT count(*) AS n FROM spend_logs'))[0].n);
  const users = (rows: { user: string }[]) => [...new Set(rows.map((r) => r.user))];

  before(async () => {
    setup = await startProxy({
      database: 'gw_key_role_spend',
      apiKey: MASTER,
      yaml: (upstream) => `general_settings:
  master_key: ${MASTER}
  proxy_batch_write_at: 0.1
model_list:
  - model_name: m
    litellm_params: { model: openai/gpt-upstream, api_base: ${upstream}/v1, api_key: upstream-key }
    model_info: { input_cost_per_token: 0.001, output_cost_per_token: 0.001 }
router_settings: { num_retries: 0 }
`,
    });
    for (const [id, role] of [
      ['ru-a', 'internal_user'],
      ['ru-b', 'internal_user'],
      ['ru-v', 'internal_user_viewer'],
    ]) {
      const made = await ok('POST', '/user/new', { user_id: id, user_role: role });
      keys[id] = { key: made.key, token: made.token };
    }
    await ok('POST', '/team/new', { team_id: 'ru-team', members_with_roles: [{ role: 'user', user_id: 'ru-a' }] });
    await ok('POST', '/team/new', { team_id: 'ru-other' });
    for (const id of ['ru-a', 'ru-a', 'ru-b', 'ru-v']) assert.equal((await chat(keys[id].key)).status, 200);
    assert.equal((await chat(MASTER)).status, 200);
    await waitFor(async () => (await rowCount()) === 5, 'five spend log rows');
  });
  after(async () => {
    await setup?.close();
  });

  it("an internal user's key reads its own user's rows, and is refused another user's", async () => {
    const k = keys['ru-a'].key;
    const logs = await ok('GET', '/spend/logs', undefined, k);
    assert.equal(logs.length, 2, JSON.stringify(logs));
    assert.deepEqual(users(logs), ['ru-a']);
    assert.equal((await ok('GET', '/spend/logs?user_id=ru-a', undefined, k)).length, 2);
    assertError(await api('GET', '/spend/logs?user_id=ru-b', undefined, k), 403, { message: /own spend/ });
    const byKey = await ok('GET', '/global/spend/keys', undefined, k);
    assert.deepEqual(
      byKey.map((r: { api_key: string }) => r.api_key),
      [keys['ru-a'].token],
    );
    assert.equal((await ok('GET', `/global/activity?${range()}`, undefined, k)).sum_api_requests, 2);
    assert.equal((await ok('GET', `/global/activity?${range()}`)).sum_api_requests, 5, 'the master key reads all');
    assert.equal((await api('GET', '/spend/tags', undefined, k)).status, 200);
    // LiteLLM's internal_user routes hold no report or per-team reads; its viewer's hold every spend read.
    assert.equal((await api('GET', `/global/spend/report?${range()}`, undefined, k)).status, 403);
    assert.equal((await api('GET', '/global/spend/teams', undefined, k)).status, 403);
  });

  it("an internal user viewer's key reads every spend route, of its own user only", async () => {
    const k = keys['ru-v'].key;
    assert.deepEqual(users(await ok('GET', '/spend/logs', undefined, k)), ['ru-v']);
    const report = await ok('GET', `/global/spend/report?${range()}&group_by=user`, undefined, k);
    const reported = report.flatMap((d: { users: { user: string }[] }) => d.users.map((u) => u.user));
    assert.deepEqual(reported, ['ru-v'], JSON.stringify(report));
    const all = await ok('GET', '/global/spend', undefined, MASTER);
    const own = await ok('GET', '/global/spend', undefined, k);
    assert.ok(own.spend > 0 && own.spend < all.spend, JSON.stringify({ own, all }));
    assertError(await api('GET', '/spend/logs?user_id=ru-a', undefined, k), 403);
    assert.equal((await api('POST', '/key/generate', {}, k)).status, 403, 'a viewer still changes nothing');
  });

  it('an internal user makes keys of the teams it is a member of, and of no other', async () => {
    const k = keys['ru-a'].key;
    const teamKey = await ok('POST', '/key/generate', { team_id: 'ru-team' }, k);
    assert.equal(teamKey.team_id, 'ru-team');
    assert.equal(teamKey.user_id, 'ru-a');
    assertError(await api('POST', '/key/generate', { team_id: 'ru-other' }, k), 403, {
      param: 'team_id',
      message: /member of \(ru-team\)/,
    });
    assertError(await api('POST', '/key/generate', { team_id: 'ru-team' }, keys['ru-b'].key), 403, {
      param: 'team_id',
      message: /member of none/,
    });
    // It may rotate its team key (it has no more than its maker may have), and the key's calls count as its user's.
    const rotated = await ok('POST', '/key/regenerate', { key: teamKey.token }, k);
    assert.equal((await chat(rotated.key)).status, 200);
    await waitFor(async () => (await rowCount()) === 6, 'the team key call logged');
    const logs = await ok('GET', '/spend/logs', undefined, k);
    assert.ok(
      logs.some((r: { team_id: string; user: string }) => r.team_id === 'ru-team' && r.user === 'ru-a'),
      JSON.stringify(logs),
    );
    // Leaving the team takes its keys there with it (as LiteLLM), its other keys stay.
    await ok('POST', '/team/member_delete', { team_id: 'ru-team', user_id: 'ru-a' });
    assertError(await chat(rotated.key), 401);
    const [audit] = await sql<{ details: { deleted_keys: number } }>(
      setup.db.url,
      "SELECT details FROM audit_log WHERE action = 'team.member_delete' AND object_id = 'ru-team'",
    );
    assert.equal(audit.details.deleted_keys, 1);
    assertError(await api('POST', '/key/generate', { team_id: 'ru-team' }, k), 403, { param: 'team_id' });
  });

  it('an internal user moves a key to another of its teams, or out of one, only if the key has no more than it has', async () => {
    const member = [{ role: 'user', user_id: 'ru-a' }];
    await ok('POST', '/team/new', { team_id: 'ru-move-1', members_with_roles: member });
    await ok('POST', '/team/new', { team_id: 'ru-move-2', members_with_roles: member });
    // A key of ru-a limited to model m, and a key of ru-a in ru-move-1 an admin made for every model.
    const narrow = await ok('POST', '/key/generate', { user_id: 'ru-a', models: ['m'] });
    const wide = await ok('POST', '/key/generate', { user_id: 'ru-a', team_id: 'ru-move-1' });
    for (const team_id of ['ru-move-2', null])
      assertError(await api('POST', '/key/update', { key: wide.token, team_id }, narrow.key), 403, {
        param: 'team_id',
        code: 'key_scope_exceeded',
        message: /more than you have \(models\)/,
      });
    assert.equal((await ok('GET', `/key/info?key=${wide.token}`)).info.team_id, 'ru-move-1', 'left where it was');
    const own = await ok('POST', '/key/generate', { team_id: 'ru-move-1', models: ['m'] }, narrow.key);
    assert.equal(
      (await ok('POST', '/key/update', { key: own.token, team_id: 'ru-move-2' }, narrow.key)).team_id,
      'ru-move-2',
    );
    assert.equal((await ok('POST', '/key/update', { key: own.token, team_id: null }, narrow.key)).team_id, null);
    // A key of every model moves once narrowed to the caller's models in the same change.
    await ok('POST', '/key/update', { key: own.token, models: [] });
    const move = { key: own.token, team_id: 'ru-move-1' };
    assertError(await api('POST', '/key/update', move, narrow.key), 403, { param: 'team_id' });
    assert.equal((await ok('POST', '/key/update', { ...move, models: ['m'] }, narrow.key)).team_id, 'ru-move-1');
    // Naming the key's own team changes nothing, and a key of every model moves it.
    assert.equal(
      (await ok('POST', '/key/update', { key: wide.token, team_id: 'ru-move-1', key_alias: 'w' }, narrow.key))
        .key_alias,
      'w',
    );
    const moved = await ok('POST', '/key/update', { key: wide.token, team_id: 'ru-move-2' }, keys['ru-a'].key);
    assert.equal(moved.team_id, 'ru-move-2');
  });
});

function range(): string {
  return `start_date=${TODAY}&end_date=${TODAY}`;
}
