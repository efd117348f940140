import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as undici from 'undici';
import * as parts from '../../src/proxy/upstream/undici-parts';
import { pickUpstreamHeaders } from '../../src/proxy/upstream/upstream-headers';

const { util } = undici;
const raw = (...pairs: string[]) => pairs.map((s) => Buffer.from(s, 'latin1'));

describe('upstream answer headers', () => {
  it('reads content-type, content-encoding and retry-after in any case, and nothing else', () => {
    const h = pickUpstreamHeaders(
      raw(
        'Date',
        'x',
        'Content-Type',
        'application/json',
        'CONTENT-ENCODING',
        'gzip',
        'retry-After',
        '7',
        'x-retry-aftr',
        '9',
      ),
    );
    assert.deepEqual(h, { contentType: 'application/json', contentEncoding: 'gzip', retryAfter: '7' });
    assert.deepEqual(pickUpstreamHeaders(raw('content-typo', 'a', 'content-encodinG', 'br')), {
      contentEncoding: 'br',
    });
    assert.deepEqual(pickUpstreamHeaders([]), {});
  });

  it('names that only look alike under case folding do not match', () => {
    // 0x0d | 0x20 is "-": only letters are folded, so a CR never stands in for the dash
    assert.deepEqual(
      pickUpstreamHeaders(raw('content\rtype', 'a', 'retry_after', '1', 'content type', 'b', 'CONTENT\x0dTYPE', 'c')),
      {},
    );
  });

  it('agrees with undici parseHeaders (first value of each) on random header lists', () => {
    const names = [
      'content-type',
      'Content-Type',
      'CONTENT-TYPE',
      'content-encoding',
      'Content-Encoding',
      'retry-after',
      'Retry-After',
      'date',
      'x-request-id',
      'content-length',
      'retry-afte',
      'content-types',
    ];
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let round = 0; round < 500; round++) {
      const pairs: string[] = [];
      for (let i = rnd(8); i > 0; i--) pairs.push(names[rnd(names.length)], `v${rnd(1000)}\u00e9`);
      const list = raw(...pairs);
      const parsed = util.parseHeaders(list) as Record<string, string | string[] | undefined>;
      const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
      const expected = Object.fromEntries(
        Object.entries({
          contentType: first(parsed['content-type']),
          contentEncoding: first(parsed['content-encoding']),
          retryAfter: first(parsed['retry-after']),
        }).filter(([, v]) => v !== undefined),
      );
      assert.deepEqual(pickUpstreamHeaders(list), expected, pairs.join(' | '));
    }
  });
});

describe("undici's parts loaded from their own files", () => {
  it('are the very Pool class and errors object that undici exports', () => {
    assert.equal(parts.Pool, undici.Pool);
    assert.equal(parts.errors, undici.errors);
    assert.ok(new parts.errors.RequestAbortedError() instanceof undici.errors.UndiciError);
  });
});
