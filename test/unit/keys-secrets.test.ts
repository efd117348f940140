import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { describeKeyRef, hashSecret, maskSecret, newSecret, toToken } from '../../src/keys/secrets/key-secret';
import { expiryFrom, isValidDuration } from '../../src/common/time/duration';

describe('keys: secrets', () => {
  it('makes URL-safe sk- secrets from 32 random bytes, all different', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const s = newSecret();
      assert.match(s, /^sk-[A-Za-z0-9_-]{43}$/);
      assert.equal(Buffer.from(s.slice(3), 'base64url').length, 32);
      seen.add(s);
    }
    assert.equal(seen.size, 200);
  });

  it('identifies a key by the hex SHA-256 of its secret and hints it as sk-...last4', () => {
    const s = 'sk-abcdefghijklmnopqrstuvwxyz';
    assert.equal(hashSecret(s), createHash('sha256').update(s).digest('hex'));
    assert.equal(maskSecret(s), 'sk-...wxyz');
    assert.equal(toToken(s), hashSecret(s));
    assert.equal(toToken(hashSecret(s)), hashSecret(s));
    assert.equal(toToken('not-a-key'), null);
    assert.equal(toToken('A'.repeat(64)), null, 'a token is lower-case hex');
    assert.equal(describeKeyRef(s), 'sk-...wxyz', 'a secret is never echoed in a message');
  });
});

describe('keys: duration', () => {
  const now = new Date('2026-01-31T12:00:00.000Z');
  it('adds s, m, h, d, w, mo, y', () => {
    assert.equal(expiryFrom('30s', now)!.toISOString(), '2026-01-31T12:00:30.000Z');
    assert.equal(expiryFrom('15m', now)!.toISOString(), '2026-01-31T12:15:00.000Z');
    assert.equal(expiryFrom('24h', now)!.toISOString(), '2026-02-01T12:00:00.000Z');
    assert.equal(expiryFrom('7d', now)!.toISOString(), '2026-02-07T12:00:00.000Z');
    assert.equal(expiryFrom('2w', now)!.toISOString(), '2026-02-14T12:00:00.000Z');
    assert.equal(expiryFrom('1mo', new Date('2026-03-15T00:00:00Z'))!.toISOString(), '2026-04-15T00:00:00.000Z');
    assert.equal(expiryFrom('1y', now)!.toISOString(), '2027-01-31T12:00:00.000Z');
  });
  it('months and years end on the same day, or the last day of a shorter month', () => {
    const at = (d: string, from: string) => expiryFrom(d, new Date(from))!.toISOString();
    assert.equal(at('1mo', '2026-01-31T12:00:00.000Z'), '2026-02-28T12:00:00.000Z');
    assert.equal(at('1mo', '2028-01-31T12:00:00.000Z'), '2028-02-29T12:00:00.000Z', 'leap year');
    assert.equal(at('3mo', '2026-01-31T00:00:00.000Z'), '2026-04-30T00:00:00.000Z');
    assert.equal(at('12mo', '2028-02-29T08:00:00.000Z'), '2029-02-28T08:00:00.000Z');
    assert.equal(at('1y', '2028-02-29T08:00:00.000Z'), '2029-02-28T08:00:00.000Z');
    assert.equal(at('4y', '2028-02-29T08:00:00.000Z'), '2032-02-29T08:00:00.000Z');
  });
  it('null or absent means no expiry; anything else is invalid', () => {
    assert.equal(expiryFrom(null, now), null);
    assert.equal(expiryFrom(undefined, now), null);
    for (const bad of ['', '10', 'd', '1.5h', '-1d', '3x', '1 d', '1D', '10000000000s']) {
      assert.equal(isValidDuration(bad), false, bad);
      assert.throws(() => expiryFrom(bad, now), RangeError);
    }
  });
});
