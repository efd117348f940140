'use strict';
// Credentials for the benchmark: a local JWKS server with an RS256 key and tokens signed by it (node:crypto),
// and a virtual key generated through the gateway's own API.
const http = require('node:http');
const { generateKeyPairSync, createSign, randomUUID } = require('node:crypto');

function b64url(v) {
  return Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
}

async function startJwks() {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomUUID();
  const jwks = JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' }] });
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(jwks);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}/jwks`;
  const sign = (claims) => {
    const head = b64url({ alg: 'RS256', typ: 'JWT', kid });
    const now = Math.floor(Date.now() / 1000);
    const body = b64url({ iat: now, exp: now + 3600, ...claims });
    const sig = createSign('RSA-SHA256').update(`${head}.${body}`).sign(privateKey).toString('base64url');
    return `${head}.${body}.${sig}`;
  };
  return { url, sign, close: () => new Promise((r) => server.close(r)) };
}

async function generateVirtualKey(gatewayUrl, masterKey, fields = {}) {
  const body = await adminCall(gatewayUrl, masterKey, '/key/generate', { key_alias: `bench-${Date.now()}`, ...fields });
  if (typeof body.key !== 'string') throw new Error(`/key/generate answered no key: ${JSON.stringify(body)}`);
  return body.key;
}

/** How long a 503 (the key database not ready yet: a gateway under valgrind or a loaded machine) is waited out. */
const READY_WAIT_MS = 120_000;

/** POSTs an admin body with the master key; throws unless 200 (a 503 is tried again for a while). */
async function adminCall(gatewayUrl, masterKey, path, payload) {
  const until = Date.now() + READY_WAIT_MS;
  for (;;) {
    const res = await fetch(`${gatewayUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${masterKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    });
    const body = await res.json();
    if (res.status === 200) return body;
    if (res.status !== 503 || Date.now() > until)
      throw new Error(`${path} answered ${res.status}: ${JSON.stringify(body)}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/**
 * A virtual key of a team and a user, each with limits (budget, rpm, tpm, parallel requests) far above what the bench
 * reaches, and an end user with a budget: a call then passes every object's checks, as in an organisation. With
 * `limited` false the key, team, user and end user have no limits: what the objects themselves cost (their lookups,
 * their spend, the row's columns) without any check.
 */
async function generateTeamKey(gatewayUrl, masterKey, limited = true) {
  const limits = limited ? BENCH_LIMITS : {};
  const tag = Date.now();
  await adminCall(gatewayUrl, masterKey, '/team/new', { team_id: `bench-team-${tag}`, ...limits });
  await adminCall(gatewayUrl, masterKey, '/user/new', { user_id: `bench-user-${tag}`, ...limits });
  await adminCall(gatewayUrl, masterKey, '/customer/new', {
    user_id: BENCH_END_USER,
    ...(limited ? { max_budget: 1e9 } : {}),
  });
  return generateVirtualKey(gatewayUrl, masterKey, {
    team_id: `bench-team-${tag}`,
    user_id: `bench-user-${tag}`,
    ...limits,
  });
}

const BENCH_END_USER = 'bench-end-user';
/** Limits far above what the bench reaches: every check runs, none refuses. */
const BENCH_LIMITS = { max_budget: 1e9, rpm_limit: 1e9, tpm_limit: 1e9, max_parallel_requests: 100000 };

/**
 * A virtual key of no team and no user with the team key's limits on itself alone: beside the team key, what its
 * team, user and end user add over a key that is limited the same way.
 */
function generateLimitedKey(gatewayUrl, masterKey) {
  return generateVirtualKey(gatewayUrl, masterKey, BENCH_LIMITS);
}

module.exports = {
  BENCH_END_USER,
  generateLimitedKey,
  generateTeamKey,
  startJwks,
  generateVirtualKey,
};
