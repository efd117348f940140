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

async function generateVirtualKey(gatewayUrl, masterKey) {
  const res = await fetch(`${gatewayUrl}/key/generate`, {
    method: 'POST',
    headers: { authorization: `Bearer ${masterKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ key_alias: `bench-${Date.now()}` }),
  });
  const body = await res.json();
  if (res.status !== 200 || typeof body.key !== 'string')
    throw new Error(`/key/generate answered ${res.status}: ${JSON.stringify(body)}`);
  return body.key;
}

module.exports = { startJwks, generateVirtualKey };
