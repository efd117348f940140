import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  AZURE_COGNITIVE_SCOPE,
  clientCredentialsFetcher,
  EntraTokenError,
  EntraTokenSource,
} from '../../src/proxy/providers/azure/entra-token';
import { startEntra, type FakeEntra } from '../support/entra';

const SECRET = 'entra-client-secret-~9Zq';

describe('Microsoft Entra ID client-credentials token source (fake token endpoint)', () => {
  let entra: FakeEntra;
  let clock: number;
  const now = () => clock;
  const source = () =>
    new EntraTokenSource(
      clientCredentialsFetcher(
        { authorityHost: entra.url, tenantId: 'tenant-1', clientId: 'client-1', clientSecret: SECRET },
        now,
      ),
      now,
    );

  before(async () => {
    entra = await startEntra();
  });
  after(() => entra.close());
  beforeEach(() => {
    entra.reset();
    clock = 1_000_000;
  });

  it('asks the tenant endpoint with the client credentials and the Azure OpenAI scope, then reuses the token', async () => {
    const s = source();
    assert.equal(await s.get(), 'token-1');
    assert.equal(await s.get(), 'token-1');
    assert.equal(entra.requests.length, 1);
    const r = entra.requests[0];
    assert.equal(r.path, '/tenant-1/oauth2/v2.0/token');
    assert.equal(r.form.get('grant_type'), 'client_credentials');
    assert.equal(r.form.get('client_id'), 'client-1');
    assert.equal(r.form.get('client_secret'), SECRET);
    assert.equal(r.form.get('scope'), AZURE_COGNITIVE_SCOPE);
  });

  it('one fetch at a time, however many calls wait for the first token', async () => {
    entra.delayMs = 150;
    const s = source();
    const tokens = await Promise.all(Array.from({ length: 25 }, () => s.get()));
    assert.deepEqual(new Set(tokens), new Set(['token-1']));
    assert.equal(entra.requests.length, 1);
  });

  it('renews before expiry while the old token still serves, and fetches anew once it has expired', async () => {
    entra.expiresIn = 600;
    const s = source();
    assert.equal(await s.get(), 'token-1');
    clock += 200_000; // well inside its life: no renewal
    assert.equal(s.peek(), 'token-1');
    assert.equal(entra.requests.length, 1);
    clock += 150_000; // within the last five minutes: renewed in the background, old token used meanwhile
    entra.delayMs = 100;
    assert.equal(s.peek(), 'token-1');
    assert.equal(s.peek(), 'token-1');
    await entra.nextRequest();
    await waitFor(() => s.peek() === 'token-2');
    assert.equal(entra.requests.length, 2, 'one renewal, not one per call');
    clock += 601_000; // token-2 expired too: the next call waits for a new one
    assert.equal(s.peek(), null);
    assert.equal(await s.get(), 'token-3');
  });

  it('a refused fetch is a clear error naming the endpoint error, never the secret; a later call tries again', async () => {
    entra.fail = {
      status: 401,
      body: {
        error: 'invalid_client',
        error_description: `AADSTS7000215: Invalid client secret provided (${SECRET}).\r\nTrace ID: 1`,
      },
    };
    const s = source();
    await assert.rejects(s.get(), (err: unknown) => {
      assert.ok(err instanceof EntraTokenError);
      assert.match(err.message, /Microsoft Entra ID token request failed: HTTP 401 invalid_client: AADSTS7000215/);
      assert.doesNotMatch(err.message, new RegExp(SECRET.replace(/[~]/g, '.')));
      assert.doesNotMatch(err.message, /Trace ID/);
      assert.equal(err.failure.status, 401);
      return true;
    });
    entra.fail = null;
    assert.equal(await s.get(), 'token-1', 'tokens are numbered by the endpoint as it issues them');
    assert.equal(entra.requests.length, 2);
  });

  it('a failed renewal keeps the old token until it expires', async () => {
    entra.expiresIn = 600;
    const s = source();
    assert.equal(await s.get(), 'token-1');
    entra.fail = { status: 500, body: { error: 'temporarily_unavailable' } };
    clock += 400_000;
    assert.equal(s.peek(), 'token-1');
    await entra.nextRequest();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(s.peek(), 'token-1');
    clock += 201_000;
    await assert.rejects(s.get(), /HTTP 500 temporarily_unavailable/);
  });

  it('an unreachable endpoint is named as such', async () => {
    const s = new EntraTokenSource(
      clientCredentialsFetcher({
        authorityHost: 'http://127.0.0.1:1',
        tenantId: 't',
        clientId: 'c',
        clientSecret: SECRET,
      }),
    );
    await assert.rejects(s.get(), /token endpoint could not be reached \(ECONNREFUSED\)/);
  });
});

async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(check(), 'condition not reached');
}
