import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactDeep, redactSecrets, scrub, scrubList } from '../../src/common/redact';
import { createLogger, CREDENTIAL_HEADERS } from '../../src/logging/logger';
import { LogCapture } from '../support/gateway';

function capture(secrets: string[] = []) {
  const out = new LogCapture();
  const log = createLogger({ level: 'debug', secrets }, out);
  return { log, out };
}

describe('logger redaction', () => {
  it('removes credential headers by path', () => {
    const { log, out } = capture();
    const headers = Object.fromEntries(CREDENTIAL_HEADERS.map((h) => [h, `value-of-${h}`]));
    log.info({ req: { headers: { ...headers, accept: 'json' } } }, 'r1');
    log.info({ headers }, 'r2');
    const [a, b] = out.lines.map((l) => JSON.parse(l));
    for (const h of CREDENTIAL_HEADERS) {
      assert.equal(a.req.headers[h], '[REDACTED]', h);
      assert.equal(b.headers[h], '[REDACTED]', h);
    }
    assert.equal(a.req.headers.accept, 'json');
    assert.doesNotMatch(out.text(), /value-of-/);
  });

  it('scrubs configured secrets anywhere in a line, longest first', () => {
    const { log, out } = capture(['abcd-secret', 'abcd-secret-longer', 'xy']);
    log.warn({ detail: 'the key abcd-secret-longer leaked', nested: { v: ['abcd-secret'] } }, 'oops abcd-secret');
    const text = out.text();
    assert.doesNotMatch(text, /abcd-secret/);
    assert.doesNotMatch(text, /-longer/, 'the longer secret is removed whole');
    assert.equal(JSON.parse(out.lines[0]).msg, 'oops [REDACTED]');
  });

  it('scrubs bearer tokens and sk- keys even when no secret is configured', () => {
    const { log, out } = capture();
    log.error(
      { err: new Error('upstream said: invalid key sk-proj-abcdefgh12345 for Bearer eyJhbGciOi.eyJzdWIi.sig-value') },
      'failed',
    );
    const text = out.text();
    assert.doesNotMatch(text, /abcdefgh12345|eyJhbGciOi|sig-value/);
    assert.match(text, /sk-\[REDACTED\]/);
    assert.match(text, /Bearer \[REDACTED\]/);
  });
});

describe('scrubbing client-chosen text: paths and queries', () => {
  const jwt =
    'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJ1c2VyLTEiLCJzY29wZSI6InJlYWQifQ.c2lnbmF0dXJlLWJ5dGVzLWhlcmU';

  it('cuts JWT-shaped strings wherever they are, with or without a Bearer before them', () => {
    const out = scrub(`/openai/deployments/${jwt}/chat/completions?token=${jwt}&x=1`, []);
    assert.equal(out, '/openai/deployments/[REDACTED]/chat/completions?token=[REDACTED]&x=1');
    assert.doesNotMatch(scrub(`{"path":"/v1/models?auth=Bearer%20${jwt}"}`, []), /eyJ|c2lnbmF0dXJl/);
  });

  it('cuts configured secrets percent-encoded in either hex case, and encoded sk- keys and bearer tokens', () => {
    const secrets = scrubList(['sk+master/key=1234', 'azure-key-0001']);
    for (const path of [
      '/v1/models?key=sk%2Bmaster%2Fkey%3D1234',
      '/v1/models?key=sk%2bmaster%2fkey%3d1234',
      '/v1/models?key=sk+master/key=1234',
    ])
      assert.equal(scrub(path, secrets), '/v1/models?key=[REDACTED]', path);
    assert.equal(scrub('/key/info?key=sk%2Dvirtual0123456789', []), '/key/info?key=sk-[REDACTED]');
    assert.equal(scrub('/x?h=Bearer%20abcdefgh12345', []), '/x?h=Bearer%20[REDACTED]');
  });

  it('leaves ordinary paths and JSON as they are', () => {
    for (const line of ['/v1/chat/completions', '{"path":"/team/info?team_id=eyJ-team","status":200}', '/a%20b?c=d'])
      assert.equal(scrub(line, scrubList(['azure-key-0001'])), line);
  });
});

describe('redaction helper', () => {
  it('replaces every occurrence of each secret, skips empty ones, and walks nested values', () => {
    assert.equal(redactSecrets('a s3cret b s3cret', ['', 's3cret']), 'a [REDACTED] b [REDACTED]');
    assert.equal(redactSecrets('nothing here', ['s3cret']), 'nothing here');
    assert.deepEqual(redactDeep({ a: ['x s3cret'], b: { c: 's3cret' }, n: 3, z: null }, ['s3cret']), {
      a: ['x [REDACTED]'],
      b: { c: '[REDACTED]' },
      n: 3,
      z: null,
    });
  });
});
