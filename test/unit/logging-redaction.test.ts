import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactDeep, redactSecrets } from '../../src/common/redact';
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
