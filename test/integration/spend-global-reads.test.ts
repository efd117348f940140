import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DatabaseService } from '../../src/database/database.service';
import { SpendLogStore } from '../../src/spend/spend-log-store';
import { openDatabase } from '../support/database';
import { generateKey, managementApi } from '../support/management-api';
import { startProxy, type ProxyOnDatabase } from '../support/proxy-setup';
import { plainRow } from '../support/spend-rows';

/**
 * LiteLLM's spend reads for its admin UI and scripts (`/spend/tags`, `/global/spend`, `/global/spend/keys|teams|
 * models|end_users`, `/global/activity`), in its answer shapes, over spend log rows written with known times: the
 * master key sees every row of the window, a team's key (granted the spend routes) only its team's.
 */
const MASTER = 'sk-global-spend-master-0001';
const DAY = 86_400_000;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const day = (at: number) => new Date(at).toISOString().slice(0, 10);
const short = (at: number) => `${MONTHS[new Date(at).getUTCMonth()]} ${day(at).slice(8)}`;

describe('global spend reads in LiteLLM shapes', () => {
  let setup: ProxyOnDatabase;
  let database: DatabaseService;
  let a: { key: string; token: string };
  let b: { key: string; token: string };
  const today = Math.floor(Date.now() / DAY) * DAY + 60_000;
  const earlier = today - 3 * DAY;
  const api = () => managementApi(() => setup.gw.url, MASTER);
  const get = (path: string, key = MASTER) => api().ok('GET', path, undefined, key);

  before(async () => {
    setup = await startProxy({
      database: 'gw_global_spend',
      apiKey: MASTER,
      yaml: `general_settings:\n  master_key: ${MASTER}\n`,
    });
    await api().ok('POST', '/team/new', { team_id: 'team-a', team_alias: 'Alpha' });
    await api().ok('POST', '/team/new', { team_id: 'team-b' });
    a = await generateKey(setup.gw.url, MASTER, {
      team_id: 'team-a',
      key_alias: 'key-a',
      allowed_routes: ['spend_tracking_routes'],
    });
    b = await generateKey(setup.gw.url, MASTER, { team_id: 'team-b', key_alias: 'key-b' });
    database = await openDatabase(setup.db.url);
    const ofA = { teamId: 'team-a', apiKey: a.token };
    await new SpendLogStore(database).insert([
      plainRow('r1', today, 1, {
        ...ofA,
        endUser: 'cust-1',
        model: 'gpt',
        requestTags: ['prod', 'web'],
        promptTokens: 10,
        completionTokens: 5,
      }),
      plainRow('r2', earlier, 2, {
        ...ofA,
        endUser: 'cust-2',
        model: 'gpt',
        requestTags: ['prod'],
        promptTokens: 20,
        completionTokens: 10,
      }),
      plainRow('r3', today, 4, { teamId: 'team-b', apiKey: b.token, endUser: 'cust-1', model: 'claude' }),
      plainRow('r4', today, 0.5, { model: 'gpt', requestTags: ['web'] }),
      // Before the 30-day window: in no answer.
      plainRow('r5', today - 40 * DAY, 100, { ...ofA, model: 'old', requestTags: ['prod'], endUser: 'cust-1' }),
    ]);
  });
  after(async () => {
    await database?.onApplicationShutdown();
    await setup?.close();
  });

  it('/global/spend: the spend of the last 30 days and the (unenforced) proxy budget', async () => {
    assert.deepEqual(await get('/global/spend'), { spend: 7.5, max_budget: 0 });
    assert.deepEqual(await get('/global/spend', a.key), { spend: 3, max_budget: 0 }, 'a team key: its team');
  });

  it('/global/spend/keys and /global/spend/models: the dearest first, limited', async () => {
    const keys = await get('/global/spend/keys');
    assert.deepEqual(
      keys.map((k: any) => [k.api_key, k.key_alias, k.total_spend]),
      [
        [b.token, 'key-b', 4],
        [a.token, 'key-a', 3],
      ],
    );
    assert.ok(
      keys.every((k: any) => /^sk-\.\.\./.test(k.key_name)),
      'the masked name, never the secret',
    );
    assert.deepEqual((await get('/global/spend/keys?limit=1')).length, 1);
    assert.deepEqual(
      (await get('/global/spend/keys', a.key)).map((k: any) => [k.api_key, k.total_spend]),
      [[a.token, 3]],
    );
    const models = [
      { model: 'claude', total_spend: 4 },
      { model: 'gpt', total_spend: 3.5 },
    ];
    assert.deepEqual(await get('/global/spend/models'), models);
    assert.deepEqual(await get('/global/spend/models?limit=1'), models.slice(0, 1));
    assert.deepEqual(await get('/global/spend/models', a.key), [{ model: 'gpt', total_spend: 3 }]);
    assert.equal((await api().api('GET', '/global/spend/keys?limit=0')).status, 400);
  });

  it('/global/spend/teams: spend per day and team alias, and the dearest teams', async () => {
    assert.deepEqual(await get('/global/spend/teams'), {
      daily_spend: [
        { date: day(earlier), Alpha: 2 },
        { date: day(today), Alpha: 1, 'team-b': 4, Unassigned: 0.5 },
      ],
      teams: ['Alpha', 'team-b', 'Unassigned'],
      total_spend_per_team: [
        { team_id: 'team-b', total_spend: 4 },
        { team_id: 'Alpha', total_spend: 3 },
        { team_id: 'Unassigned', total_spend: 0.5 },
      ],
    });
    const mine = await get('/global/spend/teams', a.key);
    assert.deepEqual([mine.teams, mine.total_spend_per_team], [['Alpha'], [{ team_id: 'Alpha', total_spend: 3 }]]);
  });

  it('/spend/tags: requests and spend per tag, the last 30 days or the dates asked for', async () => {
    assert.deepEqual(await get('/spend/tags'), [
      { individual_request_tag: 'prod', log_count: 2, total_spend: 3 },
      { individual_request_tag: 'web', log_count: 2, total_spend: 1.5 },
    ]);
    assert.deepEqual(await get(`/spend/tags?start_date=${day(today)}&end_date=${day(today)}`), [
      { individual_request_tag: 'web', log_count: 2, total_spend: 1.5 },
      { individual_request_tag: 'prod', log_count: 1, total_spend: 1 },
    ]);
    assert.deepEqual(await get('/spend/tags', a.key), [
      { individual_request_tag: 'prod', log_count: 2, total_spend: 3 },
      { individual_request_tag: 'web', log_count: 1, total_spend: 1 },
    ]);
  });

  it("/global/spend/tags: the same in LiteLLM's admin UI form, all tags or the ones asked for", async () => {
    const all = {
      spend_per_tag: [
        { name: 'prod', spend: 3, log_count: 2 },
        { name: 'web', spend: 1.5, log_count: 2 },
      ],
    };
    assert.deepEqual(await get('/global/spend/tags'), all);
    assert.deepEqual(await get('/global/spend/tags?tags=all-tags'), all);
    assert.deepEqual(await get(`/global/spend/tags?start_date=${day(today)}&end_date=${day(today)}&tags=prod,x`), {
      spend_per_tag: [{ name: 'prod', spend: 1, log_count: 1 }],
    });
    assert.deepEqual(await get('/global/spend/tags?tags=web', a.key), {
      spend_per_tag: [{ name: 'web', spend: 1, log_count: 1 }],
    });
  });

  it('POST /global/spend/end_users: the dearest end users, of one key when asked', async () => {
    assert.deepEqual(await api().ok('POST', '/global/spend/end_users', {}), [
      { end_user: 'cust-1', total_count: 2, total_spend: 5 },
      { end_user: 'cust-2', total_count: 1, total_spend: 2 },
      { end_user: '', total_count: 1, total_spend: 0.5 },
    ]);
    const ofA = [
      { end_user: 'cust-2', total_count: 1, total_spend: 2 },
      { end_user: 'cust-1', total_count: 1, total_spend: 1 },
    ];
    assert.deepEqual(await api().ok('POST', '/global/spend/end_users', { api_key: a.key }), ofA, 'by the secret');
    assert.deepEqual(await api().ok('POST', '/global/spend/end_users', { api_key: a.token }), ofA, 'by the hash');
    assert.deepEqual(await api().ok('POST', '/global/spend/end_users', {}, a.key), ofA, 'a team key: its team');
    const window = { startTime: day(today), endTime: day(today) };
    assert.deepEqual(
      (await api().ok('POST', '/global/spend/end_users', window)).map((e: any) => e.end_user),
      ['cust-1', ''],
    );
  });

  it('/global/activity: requests and tokens per day between two dates, and their sums', async () => {
    const both = `start_date=${day(earlier)}&end_date=${day(today)}`;
    assert.deepEqual(await get(`/global/activity?${both}`), {
      daily_data: [
        { date: short(earlier), api_requests: 1, total_tokens: 30 },
        { date: short(today), api_requests: 3, total_tokens: 19 },
      ],
      sum_api_requests: 4,
      sum_total_tokens: 49,
    });
    assert.deepEqual((await get(`/global/activity?${both}`, a.key)).sum_api_requests, 2);
    const missing = await api().api('GET', `/global/activity?start_date=${day(today)}`);
    assert.deepEqual([missing.status, missing.body.error.param], [400, 'end_date']);
  });

  it('refuses a window over 31 days, naming the date to move, instead of reading it', async () => {
    const long = await api().api('GET', `/global/activity?start_date=${day(today - 40 * DAY)}&end_date=${day(today)}`);
    assert.equal(long.status, 400);
    assert.equal(long.body.error.param, 'end_date');
    assert.match(long.body.error.message, /31 days/);
    const tags = await api().api('GET', `/spend/tags?start_date=${day(today - 31 * DAY)}&end_date=${day(today)}`);
    assert.equal(tags.status, 400);
    assert.equal(
      (await api().api('GET', `/spend/tags?start_date=${day(today - 30 * DAY)}&end_date=${day(today)}`)).status,
      200,
    );
  });
});
