import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, skipWithoutChromium as skip } from '../support/browser';
import { readJson, type InProcessGateway } from '../support/gateway';
import { startOidcProvider, type TestOidcProvider } from '../support/oidc';
import { startProxy, type ProxySetup } from '../support/proxy-setup';

/**
 * Sign-in to the admin UI through the OpenID provider in a real browser: the page leaves for the provider's login
 * and consent pages, comes back with a code, exchanges it (PKCE) at the provider's token endpoint and calls the
 * gateway with the access token. An admin, a viewer and a team member each get what the API lets them do. The only
 * requests to another origin are the provider's, during sign-in.
 */
const MASTER = 'sk-ui-signin-master-01';
const CLIENT = 'gateway-ui';

describe('admin UI sign-in through the OpenID provider, in a real browser', { skip }, () => {
  let idp: TestOidcProvider;
  let gw: InProcessGateway;
  let setup: ProxySetup | undefined;
  let browser: Browser;
  const problems: string[] = [];
  const foreign: string[] = [];

  before(async () => {
    browser = await launchChromium();
    idp = await startOidcProvider({
      clients: [],
      accounts: {
        alice: { groups: ['idp-admins'] },
        victor: { groups: ['idp-viewers'] },
        tess: { team: 'team-a' },
      },
    });
    setup = await startProxy({
      database: 'gw_test',
      apiKey: MASTER,
      // The discovery document is the default: the one JWT_PUBLIC_KEY_URL names.
      env: { JWT_PUBLIC_KEY_URL: idp.discoveryUrl, JWT_AUDIENCE: idp.audience, LOG_LEVEL: 'warn' },
      yaml: `general_settings:
  master_key: ${MASTER}
  enable_jwt_auth: true
  ui_oidc:
    client_id: ${CLIENT}
    scopes: [openid, read]
  litellm_jwtauth:
    team_id_jwt_field: team
    team_allowed_routes: [openai_routes, info_routes, management_routes]
    roles_jwt_field: groups
    role_mappings:
      - { role: idp-admins, internal_role: proxy_admin }
      - { role: idp-viewers, internal_role: proxy_admin_viewer }
`,
    });
    ({ gw } = setup);
    await idp.allowBrowserSignIn(CLIENT, `${gw.url}/ui/`);
  });
  after(async () => {
    await browser?.close();
    await setup?.close();
    await idp?.stop();
  });

  /** A fresh browser context (no provider session), watched for console errors and requests to other origins. */
  async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`${m.type()}: ${m.text()} (${page.url()})`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('request', (r) => {
      const url = new URL(r.url());
      const how = r.isNavigationRequest() ? 'navigate' : 'fetch';
      if (url.origin !== gw.url) foreign.push(`${how} ${r.method()} ${url.origin}${url.pathname}`);
    });
    return { context, page };
  }

  const auth = { authorization: `Bearer ${MASTER}` };
  const admin = async (path: string, body: object) => {
    const res = await fetch(`${gw.url}${path}`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 200, path);
    return readJson(res);
  };

  /** Presses Tab until the element with `id` has the focus (bounded): keyboard-only navigation. */
  async function tabTo(page: Page, id: string): Promise<void> {
    for (let i = 0; i < 40 && (await page.evaluate('document.activeElement?.id')) !== id; i++)
      await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement?.id'), id, `Tab reaches #${id}`);
  }

  /** The provider's own login and consent pages, as a person goes through them. */
  async function signInAs(page: Page, login: string): Promise<void> {
    await page.goto(`${gw.url}/ui/`);
    await page.getByRole('button', { name: /^Sign in with 127\.0\.0\.1/ }).click();
    await page.waitForURL((u) => u.origin === idp.issuer);
    await page.getByLabel('Login').fill(login);
    await page.getByLabel('Password').fill('any');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.origin === gw.url);
    await page.getByRole('heading', { name: 'Keys' }).waitFor();
  }

  it('serves the provider facts the page needs, and a CSP that lets it reach the token endpoint only', async () => {
    const res = await fetch(`${gw.url}/ui/config.json`);
    const body = await readJson(res);
    assert.equal(res.status, 200);
    assert.deepEqual(body.oidc, {
      client_id: CLIENT,
      issuer: idp.issuer,
      authorization_endpoint: `${idp.issuer}/auth`,
      token_endpoint: `${idp.issuer}/token`,
      end_session_endpoint: `${idp.issuer}/session/end`,
      scopes: ['openid', 'read'],
    });
    const page = await fetch(`${gw.url}/ui`);
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.match(csp, new RegExp(`connect-src 'self' ${idp.issuer}/token;`));
  });

  it('signs an admin in with a real redirect flow; nothing is left in the URL; sign-out forgets the token', async () => {
    const { context, page } = await newPage();
    await signInAs(page, 'alice');
    assert.equal(new URL(page.url()).search, '', 'the code and state are gone from the address bar');
    const token = await page.evaluate<string>("sessionStorage.getItem('gateway-ui-token')");
    assert.equal(token.split('.').length, 3, 'a JWT is kept');
    const who = await readJson(await fetch(`${gw.url}/ui/session`, { headers: { authorization: `Bearer ${token}` } }));
    assert.equal(who.role, 'admin');

    await page.getByLabel('Alias').fill('made-by-alice');
    await page.getByRole('button', { name: 'Create key' }).click();
    await page.getByLabel('Secret', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('row').filter({ hasText: 'made-by-alice' }).waitFor();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Master key').waitFor();
    assert.equal(await page.evaluate('sessionStorage.length'), 0);
    await context.close();
  });

  it('a viewer sees the keys and gets no control that changes them', async () => {
    const { context, page } = await newPage();
    await signInAs(page, 'victor');
    await page.getByRole('row').filter({ hasText: 'made-by-alice' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Create key' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: /^(Block|Delete) key/ }).count(), 0);
    await context.close();
  });

  it("a team member sees its team's keys only", async () => {
    const created = await fetch(`${gw.url}/key/generate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: JSON.stringify({ key_alias: 'team-a-key', team_id: 'team-a' }),
    });
    assert.equal(created.status, 200);
    const { context, page } = await newPage();
    await signInAs(page, 'tess');
    await page.getByRole('row').filter({ hasText: 'team-a-key' }).waitFor();
    assert.equal(await page.getByRole('row').filter({ hasText: 'made-by-alice' }).count(), 0);
    await context.close();
  });

  it('keyboard only, at phone width: master-key sign-in, then a key created, filtered, paged, edited, regenerated', async () => {
    for (let i = 0; i < 21; i++) await admin('/key/generate', { key_alias: `paged-${i}`, team_id: 'team-p' });
    const { context, page } = await newPage();
    await page.setViewportSize({ width: 375, height: 740 });
    await page.goto(`${gw.url}/ui/`);
    await tabTo(page, 'master-key');
    await page.keyboard.type(MASTER);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Keys', level: 1 }).waitFor();
    await tabTo(page, 'key-alias');
    await page.keyboard.type('keyboard-key');
    await page.keyboard.press('Enter');
    await page.getByLabel('Secret', { exact: true }).waitFor();
    const first = await page.getByLabel('Secret', { exact: true }).inputValue();
    assert.equal(await page.evaluate('document.activeElement.id'), 'secret-title', 'focus on the new secret');
    await page.getByRole('button', { name: 'Done' }).click();
    const fits = await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth');
    assert.ok(fits, 'nothing wider than a 375 px screen but the scrolling table');

    await tabTo(page, 'team_id');
    await page.keyboard.type('team-p');
    await page.keyboard.press('Enter');
    await page.getByRole('table').getByText('21 keys').waitFor();
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.getByText('Page 2 of 2').waitFor();
    assert.equal(await page.getByRole('row').filter({ hasText: 'paged-' }).count(), 1);
    await page.getByLabel('Team id').fill('');
    await page.getByLabel('Key name').fill('keyboard-key');
    await page.keyboard.press('Enter');
    const row = page.getByRole('row').filter({ hasText: 'keyboard-key' });
    await row.waitFor();

    await page.getByRole('button', { name: 'Edit key keyboard-key' }).focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Edit key keyboard-key' });
    await dialog.getByLabel('Requests per minute').fill('30');
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });
    await row.getByText('30 rpm').waitFor();

    await page.getByRole('button', { name: 'Regenerate key keyboard-key' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Confirm regenerate' }).waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    assert.equal(await page.getByLabel('Secret', { exact: true }).count(), 0, 'Escape cancelled it');
    await page.getByRole('button', { name: 'Regenerate key keyboard-key' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Confirm regenerate' }).waitFor();
    await page.keyboard.press('Enter');
    const second = await page.getByLabel('Secret', { exact: true }).inputValue();
    assert.notEqual(second, first);
    const info = (key: string) => fetch(`${gw.url}/key/info?key=${encodeURIComponent(key)}`, { headers: auth });
    assert.equal((await readJson(await info(second))).info.rpm_limit, 30);
    assert.notEqual((await info(first)).status, 200, 'the old secret is gone');
    await context.close();
  });

  it('logged no console error; only the provider was asked, and only during sign-in', () => {
    assert.deepEqual(problems, []);
    // Going to the provider's pages (and their own form posts) is navigation; the one request the page itself sends
    // to another origin is the code exchange at the token endpoint.
    assert.deepEqual(
      foreign.filter(
        (r) => !r.startsWith(`navigate GET ${idp.issuer}/`) && !r.startsWith(`navigate POST ${idp.issuer}/`),
      ),
      [`fetch POST ${idp.issuer}/token`, `fetch POST ${idp.issuer}/token`, `fetch POST ${idp.issuer}/token`],
    );
  });
});
