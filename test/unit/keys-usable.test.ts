import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../src/common/errors/gateway-error';
import { isUsable, unusableKeyError } from '../../src/keys/key-usable';

describe('key usability (blocked / expired, decided in one place)', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  const past = new Date(now - 1);

  it('a key neither blocked nor expired is usable; expiry at exactly now is expired', () => {
    assert.equal(isUsable({ blocked: false, expires: null }, now), true);
    assert.equal(isUsable({ blocked: false, expires: new Date(now + 1) }, now), true);
    assert.equal(isUsable({ blocked: false, expires: new Date(now) }, now), false);
    assert.equal(unusableKeyError({ blocked: false, expires: null }, now), null);
  });

  it('refuses with 401 key_blocked before key_expired, naming the expiry', () => {
    const blocked = unusableKeyError({ blocked: true, expires: past }, now);
    assert.ok(blocked instanceof GatewayError);
    assert.equal(blocked.status, 401);
    assert.equal(blocked.code, 'key_blocked');
    const expired = unusableKeyError({ blocked: false, expires: past }, now);
    assert.equal(expired?.code, 'key_expired');
    assert.equal(expired?.message, `This virtual key expired at ${past.toISOString()}`);
  });
});
