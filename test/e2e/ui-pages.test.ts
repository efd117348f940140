import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, skipWithoutChromium as skip, watchedPage } from '../support/browser';
import { readJson, type InProcessGateway } from '../support/gateway';
import { startProxy, type ProxySetup } from '../support/proxy-setup';
import type { FakeUpstream } from '../support/upstream';

/**
 * The admin UI's pages beside keys, in a real browser (Debian's chromium, which .ci/run installs), signed in with the
 * master key: teams with limits and members, users, customers; each change checked through the API. With no
 * console error and no request to another origin. Without chromium the test is skipped on a developer's machine
 * and fails in CI.
 */
const MASTER = 'sk-ui-pages-master-01';
const UPSTREAM_SECRET = 'sk-upstream-ui-pages-secret';

describe('admin UI pages in a real browser', { skip }, () => {
  let up: FakeUpstream;
  let gw: InProcessGateway;
  let setup: ProxySetup | undefined;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const foreign: string[] = [];
  const admin = async (path: string, body?: object) => {
    const res = await fetch(`${gw.url}${path}`, {
      method: body ? 'POST' : 'GET',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: body ? JSON.stringify(body) : undefined,
    });
    assert.equal(res.status, 200, `${path}: ${res.status}`);
    return readJson(res);
  };
  const go = async (name: string) => {
    await page.getByRole('link', { name, exact: true }).click();
    await page.getByRole('heading', { name, level: 1 }).waitFor();
  };

  // Focus is checked with CSS :focus locators, not waitForFunction: a string predicate that polls is run with eval,
  // which the page's CSP refuses.

  /** Spend log rows are written in batches off the request path: wait (bounded) until `n` are readable. */
  const waitForRows = async (n: number) => {
    for (const deadline = Date.now() + 10_000; Date.now() < deadline;) {
      if ((await admin('/spend/logs?page_size=1000')).length >= n) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`fewer than ${n} spend log rows after 10 s`);
  };

  before(async () => {
    browser = await launchChromium();
    setup = await startProxy({
      database: 'gw_test',
      apiKey: MASTER,
      env: { LOG_LEVEL: 'warn' },
      yaml: (upstream) => `
model_list:
  - model_name: ui-model
    litellm_params: { model: openai/ui-up, api_base: ${upstream}/v1, api_key: ${UPSTREAM_SECRET} }
    model_info: { id: ui-model-1, input_cost_per_token: 0.001, output_cost_per_token: 0.002 }
  - model_name: ui-down
    litellm_params: { model: openai/down, api_base: http://127.0.0.1:9/v1, api_key: ${UPSTREAM_SECRET} }
    model_info: { id: ui-down-1 }
general_settings:
  master_key: ${MASTER}
  proxy_batch_write_at: 0.1
router_settings: { num_retries: 0, allowed_fails: 1, cooldown_time: 120 }
`,
    });
    ({ up, gw } = setup);
    page = await watchedPage(browser, () => gw.url, problems, foreign);
    await page.goto(`${gw.url}/ui`);
    await page.getByLabel('Master key').fill(MASTER);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Keys', level: 1 }).waitFor();
  });
  after(async () => {
    await browser?.close();
    await setup?.close();
  });

  it('creates a team with limits from the keyboard, adds a member, and lists it; the API agrees', async () => {
    // Keyboard only: the page link, then Tab to the page's first control.
    await page.getByRole('link', { name: 'Teams', exact: true }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Teams', level: 1 }).waitFor();
    for (let i = 0; i < 20 && (await page.evaluate('document.activeElement.textContent')) !== 'Create team'; i++)
      await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Create team' });
    await dialog.waitFor();
    await page.locator('#team-alias:focus').waitFor(); // focus on the first field
    await page.keyboard.type('ui-team');
    await dialog.getByLabel('Team id (empty: generated)').fill('team-ui-1');
    await dialog.getByLabel('Models (comma-separated; empty: all)').fill('ui-model');
    await dialog.getByLabel('Max budget (USD)').fill('12.5');
    await dialog.getByLabel('Soft budget (USD)').fill('10');
    await dialog.getByLabel('Budget period').fill('30d');
    await dialog.getByLabel('Requests per minute').fill('60');
    await dialog.getByLabel('Tokens per minute').fill('6000');
    await dialog.getByLabel('Parallel requests').fill('4');
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });
    const row = page.getByRole('row').filter({ hasText: 'team-ui-1' });
    await row.getByText('60 rpm, 6000 tpm, 4 parallel, budget per 30d').waitFor();

    await page.getByRole('button', { name: 'Members of team ui-team' }).click();
    const members = page.getByRole('dialog', { name: 'Members of team ui-team' });
    await members.getByLabel('User id').fill('alice');
    await members.getByLabel('Role').selectOption('admin');
    await members.getByRole('button', { name: 'Add member' }).click();
    await members.getByRole('row').filter({ hasText: 'alice' }).getByText('admin').waitFor();
    await page.keyboard.press('Escape');
    await members.waitFor({ state: 'detached' });
    await row.getByRole('cell', { name: '1', exact: true }).waitFor();

    const { team_info: t } = await admin('/team/info?team_id=team-ui-1');
    assert.equal(t.team_alias, 'ui-team');
    assert.deepEqual(t.models, ['ui-model']);
    assert.equal(t.max_budget, 12.5);
    assert.equal(t.soft_budget, 10);
    assert.equal(t.budget_duration, '30d');
    assert.equal(t.rpm_limit, 60);
    assert.equal(t.tpm_limit, 6000);
    assert.equal(t.max_parallel_requests, 4);
    assert.deepEqual(t.members_with_roles, [{ role: 'admin', user_id: 'alice' }]);
    const { user_info: alice } = await admin('/user/info?user_id=alice');
    assert.deepEqual(alice.teams, ['team-ui-1'], 'a member is a stored user of the team, as in LiteLLM');
  });

  it('edits, blocks and deletes a team (after confirmation); an API refusal is shown in its words', async () => {
    await page.getByRole('button', { name: 'Edit team ui-team' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit team ui-team' });
    await dialog.getByLabel('Budget period').fill('every week');
    await dialog.getByRole('button', { name: 'Save team' }).click();
    const refusal = dialog.getByRole('alert');
    await refusal.waitFor();
    assert.match(await refusal.innerText(), /budget_duration/);
    // Chromium logs every 4xx answer to a fetch; this one was asked for.
    assert.deepEqual(problems, [
      'error: Failed to load resource: the server responded with a status of 400 (Bad Request)',
    ]);
    problems.length = 0;
    await dialog.getByLabel('Budget period').fill('7d');
    await dialog.getByLabel('Requests per minute').fill('');
    await dialog.getByRole('button', { name: 'Save team' }).click();
    await dialog.waitFor({ state: 'detached' });
    const { team_info: edited } = await admin('/team/info?team_id=team-ui-1');
    assert.equal(edited.budget_duration, '7d');
    assert.equal(edited.rpm_limit, null, 'an emptied field clears the limit');
    assert.equal(edited.tpm_limit, 6000);

    await page.getByRole('button', { name: 'Members of team ui-team' }).click();
    const members = page.getByRole('dialog', { name: 'Members of team ui-team' });
    await page.locator('#member-user-id:focus').waitFor(); // a field, not a Remove button
    await members.getByRole('button', { name: 'Remove member alice' }).click();
    await members.getByText('0 members', { exact: true }).waitFor();
    await page.keyboard.press('Escape');
    await page.locator('button:focus', { hasText: 'Members' }).waitFor(); // back to the opener
    assert.deepEqual((await admin('/team/info?team_id=team-ui-1')).team_info.members_with_roles, []);

    await page.getByRole('button', { name: 'Block team ui-team' }).click();
    await page.getByRole('button', { name: 'Unblock team ui-team' }).waitFor();
    assert.equal((await admin('/team/info?team_id=team-ui-1')).team_info.blocked, true);
    await page.getByRole('button', { name: 'Unblock team ui-team' }).click();
    await page.getByRole('button', { name: 'Block team ui-team' }).waitFor();

    await admin('/team/new', { team_id: 'team-ui-gone' });
    await page.reload();
    await page.getByRole('button', { name: 'Delete team team-ui-gone' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete team team-ui-gone?' });
    await confirm.waitFor();
    await page.locator('button:focus', { hasText: 'Confirm delete' }).waitFor();
    await page.keyboard.press('Escape');
    await confirm.waitFor({ state: 'detached' });
    assert.equal((await admin('/team/list')).length, 2, 'Escape deleted nothing');
    await page.getByRole('button', { name: 'Delete team team-ui-gone' }).click();
    await confirm.waitFor();
    await page.locator('button:focus', { hasText: 'Confirm delete' }).waitFor();
    await page.keyboard.press('Enter');
    await page.getByRole('row').filter({ hasText: 'team-ui-gone' }).waitFor({ state: 'detached' });
    assert.deepEqual(
      (await admin('/team/list')).map((t: any) => t.team_id),
      ['team-ui-1'],
    );
  });

  it('creates, edits and deletes a user', async () => {
    const before = (await admin('/user/list')).total;
    await go('Users');
    await page.getByRole('button', { name: 'Create user' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create user' });
    await dialog.getByLabel('User id (empty: generated)').fill('bob');
    await dialog.getByLabel('Email').fill('bob@example.com');
    await dialog.getByLabel('Role').selectOption('internal_user');
    await dialog.getByLabel('Max budget (USD)').fill('3');
    await dialog.getByRole('button', { name: 'Create user' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('row').filter({ hasText: 'bob@example.com' }).getByText('internal_user').waitFor();
    await page.getByRole('button', { name: 'Edit user bob@example.com' }).click();
    await page.getByLabel('Parallel requests').fill('2');
    await page.keyboard.press('Enter');
    await page.getByRole('row').filter({ hasText: 'bob@example.com' }).getByText('2 parallel').waitFor();
    const { user_info: u } = await admin('/user/info?user_id=bob');
    assert.equal(u.max_budget, 3);
    assert.equal(u.max_parallel_requests, 2);
    assert.equal(u.user_role, 'internal_user');
    await page.getByRole('button', { name: 'Delete user bob@example.com' }).click();
    await page.getByRole('button', { name: 'Confirm delete' }).click();
    await page.getByRole('row').filter({ hasText: 'bob@example.com' }).waitFor({ state: 'detached' });
    assert.equal((await admin('/user/list')).total, before);
    const gone = await fetch(`${gw.url}/user/info?user_id=bob`, { headers: { authorization: `Bearer ${MASTER}` } });
    assert.equal(gone.status, 404);
  });

  it('creates, blocks and deletes a customer', async () => {
    await go('Customers');
    await page.getByRole('button', { name: 'Create customer' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create customer' });
    await dialog.getByLabel('Customer id').fill('end-user-1');
    await dialog.getByLabel('Allowed model region').selectOption('eu');
    await dialog.getByLabel('Tokens per minute').fill('900');
    await dialog.getByRole('button', { name: 'Create customer' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('row').filter({ hasText: 'end-user-1' }).getByText('900 tpm').waitFor();
    await page.getByRole('button', { name: 'Block customer end-user-1' }).click();
    await page.getByRole('row').filter({ hasText: 'end-user-1' }).getByText('blocked').waitFor();
    const c = await admin('/customer/info?end_user_id=end-user-1');
    assert.equal(c.blocked, true);
    assert.equal(c.allowed_model_region, 'eu');
    assert.equal(c.tpm_limit, 900);
    await page.getByRole('button', { name: 'Delete customer end-user-1' }).click();
    await page.getByRole('button', { name: 'Confirm delete' }).click();
    await page.getByRole('row').filter({ hasText: 'end-user-1' }).waitFor({ state: 'detached' });
    assert.deepEqual(await admin('/customer/list'), []);
  });

  it('shows the deployments with their health, and no upstream secret', async () => {
    // A deployment nobody listens for: its failure starts a cool-down.
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'ui-down', messages: [{ role: 'user', content: 'hi' }] }),
    });
    assert.ok(res.status >= 500, `a refused connection answers ${res.status}`);
    await go('Models');
    const row = page.getByRole('row').filter({ hasText: 'ui-model-1' });
    await row.getByText('healthy').waitFor();
    await page.getByText('1 healthy, 1 cooling down').waitFor();
    const down = page.getByRole('row').filter({ hasText: 'ui-down-1' });
    assert.match(await down.innerText(), /cooling down \(\d+ s left\)/);
    assert.match(await row.innerText(), /openai\/ui-up/);
    assert.match(await row.innerText(), new RegExp(up.url.replace(/\./g, '\\.')));
    assert.ok(!(await page.content()).includes(UPSTREAM_SECRET), 'the upstream api_key is nowhere on the page');
  });

  it('lists the calls in the logs, filtered by team, key, model and request id, with paging', async () => {
    const teamKey = await admin('/key/generate', { key_alias: 'ui-team-key', team_id: 'team-ui-1' });
    const soloKey = await admin('/key/generate', { key_alias: 'ui-solo-key' });
    const call = async (key: string, requestId: string, user?: string) => {
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-request-id': requestId },
        body: JSON.stringify({ model: 'ui-model', messages: [{ role: 'user', content: 'hi' }], user }),
      });
      assert.equal(res.status, 200, await res.text());
    };
    for (let i = 0; i < 3; i++) await call(teamKey.key, `req-team-${i}`, 'end-user-2');
    for (let i = 0; i < 27; i++) await call(soloKey.key, `req-solo-${i}`);
    await waitForRows(31); // with the failed call of the models test

    await go('Logs');
    const rows = page.getByRole('table').getByRole('row');
    await page.getByText('25 calls on page 1', { exact: true }).waitFor();
    assert.match(await rows.nth(1).innerText(), /req-solo-26/, 'newest first');
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.getByText('6 calls on page 2', { exact: true }).waitFor();
    assert.match(await rows.nth(5).innerText(), /req-team-0/);
    assert.equal(await page.getByRole('button', { name: 'Next page' }).isDisabled(), true);

    await page.getByLabel('Team id').fill('team-ui-1');
    await page.keyboard.press('Enter');
    await page.getByText('3 calls on page 1', { exact: true }).waitFor();
    const teamRows = await rows.allInnerTexts();
    assert.ok(
      teamRows.slice(1).every((r) => r.includes('ui-team-key') && r.includes('end-user-2')),
      teamRows.join('\n'),
    );

    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.getByLabel('Key (secret or hash)').fill(soloKey.key);
    await page.getByLabel('Request id').fill('req-solo-7');
    await page.getByRole('button', { name: 'Filter', exact: true }).click();
    await page.getByText('1 call on page 1', { exact: true }).waitFor();
    assert.match(await rows.nth(1).innerText(), /req-solo-7/);

    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.getByLabel('Model').fill('no-such-model');
    await page.getByRole('button', { name: 'Filter', exact: true }).click();
    await page.getByText('0 calls on page 1', { exact: true }).waitFor();
    await page.getByLabel('Model').fill('ui-model');
    await page.getByLabel('From (date)').fill(new Date().toISOString().slice(0, 10));
    await page.getByRole('button', { name: 'Filter', exact: true }).click();
    await page.getByText('25 calls on page 1', { exact: true }).waitFor();
  });

  it('charts the spend per day by team, model and key, and lists the top spenders', async () => {
    await go('Spend');
    const chart = page.getByRole('img', { name: /Spend \(USD\) per day by team/ });
    await chart.waitFor();
    assert.ok((await chart.locator('rect').count()) >= 2, 'a bar per team that spent today');
    const top = page.getByRole('table', { name: /Top teams by spend/ });
    const cells = async (name: string) =>
      (await top.getByRole('row').filter({ hasText: name }).innerText()).split('\t');
    assert.equal((await cells('team-ui-1'))[3], '3', 'three calls of the team');
    assert.equal((await cells('(none)'))[3], '28', 'the calls of no team');

    await page.getByLabel('Group by', { exact: true }).selectOption('model');
    await page.getByLabel('Measure', { exact: true }).selectOption('total_requests');
    const byModel = page.getByRole('img', { name: /Requests per day by model/ });
    await byModel.waitFor();
    const today = new Date().toISOString().slice(0, 10);
    const titles = await byModel.locator('rect title').allTextContents();
    assert.ok(titles.includes(`${today} · ui-model: 30`), titles.join(', '));
    assert.ok(titles.includes(`${today} · ui-down: 1`), titles.join(', '));

    await page.getByLabel('Group by', { exact: true }).selectOption('api_key');
    const keys = page.getByRole('table', { name: /Top keys by spend/ });
    await keys.getByRole('row').filter({ hasText: 'ui-solo-key' }).waitFor();
    assert.equal((await keys.getByRole('row').filter({ hasText: 'ui-solo-key' }).innerText()).split('\t')[3], '27');

    await page.getByLabel('From', { exact: true }).fill('2001-01-01');
    await page.getByLabel('To', { exact: true }).fill('2001-01-31');
    await page.getByText('No calls from 2001-01-01 to 2001-01-31.').waitFor();
  });

  it('fits a phone: the page does not scroll sideways, wide tables scroll inside themselves', async () => {
    await page.setViewportSize({ width: 390, height: 800 });
    for (const name of ['Teams', 'Models', 'Logs', 'Spend']) {
      await go(name);
      await page.getByRole('table').first().waitFor();
      const [wide, viewport] = await page.evaluate<number[]>('[document.documentElement.scrollWidth, innerWidth]');
      assert.ok(wide <= viewport, `${name}: the page is ${wide} px wide on a ${viewport} px screen`);
    }
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('logged no console error and asked no other origin for anything', () => {
    assert.deepEqual(foreign, []);
    assert.deepEqual(problems, []);
  });
});
