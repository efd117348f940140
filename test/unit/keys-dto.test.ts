import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../src/common/errors/gateway-error';
import {
  deleteKeysSchema,
  generateKeySchema,
  listKeysSchema,
  regenerateKeySchema,
  updateKeySchema,
} from '../../src/keys/dto/key-requests.dto';
import { parseInput } from '../../src/keys/dto/parse';
import { auditedFields, toKeyChanges } from '../../src/keys/key-changes';

function refused(fn: () => unknown): GatewayError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof GatewayError, String(err));
    assert.equal(err.status, 400);
    return err;
  }
  assert.fail('expected a 400');
}

describe('keys: request bodies', () => {
  it('accepts {} and every LiteLLM field of /key/generate', () => {
    assert.deepEqual(parseInput(generateKeySchema, {}), {});
    assert.deepEqual(parseInput(generateKeySchema, undefined), {});
    const full = {
      key_alias: 'team-a',
      models: ['gpt-4'],
      duration: '7d',
      max_budget: 10.5,
      rpm_limit: 5,
      tpm_limit: 1000,
      max_parallel_requests: 2,
      metadata: { owner: 'x' },
      team_id: 't',
      user_id: 'u',
      allowed_routes: ['/chat/completions'],
      key: 'sk-custom-0123456789abcdef',
    };
    assert.deepEqual(parseInput(generateKeySchema, full), full);
  });

  it('refuses fields LiteLLM does not have, naming each of them; accepts those it has', () => {
    const e = refused(() => parseInput(generateKeySchema, { models: [], spendd: 3, soft_budgets: 1 }));
    assert.match(e.message, /spendd/);
    assert.match(e.message, /soft_budgets/);
    assert.equal(e.code, 'unknown_field');
    const ok = parseInput(generateKeySchema, { models: [], spend: 3, soft_budget: 1, key_type: 'llm_api' });
    assert.equal((ok as Record<string, unknown>).soft_budget, 1);
  });

  it('names the field and the problem for bad values, never echoing the value', () => {
    assert.match(refused(() => parseInput(generateKeySchema, { rpm_limit: 'five' })).message, /rpm_limit/);
    assert.match(
      refused(() => parseInput(generateKeySchema, { rpm_limit: 1.5 })).message,
      /rpm_limit: must be an integer/,
    );
    assert.match(refused(() => parseInput(generateKeySchema, { max_budget: -1 })).message, /max_budget/);
    assert.match(refused(() => parseInput(generateKeySchema, { models: 'gpt-4' })).message, /models/);
    assert.match(refused(() => parseInput(generateKeySchema, { duration: '5 days' })).message, /duration/);
    const custom = refused(() => parseInput(generateKeySchema, { key: 'pk-not-a-gateway-key-123' }));
    assert.match(custom.message, /key: must start with sk-/);
    assert.doesNotMatch(custom.message, /pk-not-a-gateway-key-123/);
    assert.match(refused(() => parseInput(generateKeySchema, { key: 'sk-short' })).message, /at least 20/);
    assert.match(
      refused(() => parseInput(generateKeySchema, { key: 'sk-has spaces in it 12345' })).message,
      /letters, digits/,
    );
    assert.match(
      refused(() => parseInput(generateKeySchema, { key: 'sk-dots.and!marks~0123456' })).message,
      /letters, digits/,
    );
    assert.match(
      refused(() => parseInput(generateKeySchema, { allowed_routes: ['chat', '/ok'] })).message,
      /allowed_routes.*chat/,
    );
    assert.match(
      refused(() => parseInput(generateKeySchema, { allowed_routes: ['/key/info\n/key/generate'] })).message,
      /allowed_routes/,
    );
    assert.match(
      refused(() => parseInput(generateKeySchema, { allowed_routes: ['/key/ info'] })).message,
      /allowed_routes/,
    );
    assert.deepEqual(parseInput(generateKeySchema, { allowed_routes: ['openai_routes', '/key/info', '/v1/*'] }), {
      allowed_routes: ['openai_routes', '/key/info', '/v1/*'],
    });
    assert.match(refused(() => parseInput(generateKeySchema, [1, 2])).message, /JSON object/);
    assert.match(refused(() => parseInput(generateKeySchema, 'text')).message, /JSON object/);
    assert.match(refused(() => parseInput(generateKeySchema, null)).message, /JSON object/);
    assert.deepEqual(parseInput(regenerateKeySchema, null, 'optional body'), {});
  });

  it('update needs key; delete needs keys or key_aliases; regenerate takes new_key', () => {
    assert.match(refused(() => parseInput(updateKeySchema, { models: [] })).message, /key/);
    assert.match(refused(() => parseInput(deleteKeysSchema, {})).message, /keys, key_aliases/);
    assert.match(refused(() => parseInput(deleteKeysSchema, { keys: [] })).message, /keys, key_aliases/);
    assert.deepEqual(parseInput(deleteKeysSchema, { key_aliases: ['a'] }), { key_aliases: ['a'] });
    assert.deepEqual(parseInput(regenerateKeySchema, { key: 'x', new_key: 'sk-0123456789abcdefghij' }), {
      key: 'x',
      new_key: 'sk-0123456789abcdefghij',
    });
    assert.match(refused(() => parseInput(regenerateKeySchema, { new_key: 'nope' })).message, /new_key/);
  });

  it('list query: defaults, coercion, bounds, unknown parameters', () => {
    assert.deepEqual(parseInput(listKeysSchema, {}, 'query'), { page: 1, size: 10, sort_order: 'desc' });
    assert.deepEqual(
      parseInput(listKeysSchema, { page: '3', size: '25', team_id: 't', return_full_object: 'true' }, 'query'),
      {
        page: 3,
        size: 25,
        team_id: 't',
        return_full_object: true,
        sort_order: 'desc',
      },
    );
    assert.match(refused(() => parseInput(listKeysSchema, { size: '1000' }, 'query')).message, /size/);
    assert.match(refused(() => parseInput(listKeysSchema, { page: '0' }, 'query')).message, /page/);
    assert.match(refused(() => parseInput(listKeysSchema, { sort: 'x' }, 'query')).message, /query: sort/);
  });
});

describe('keys: field mapping', () => {
  it('maps only the given fields; null clears, metadata null becomes {}', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    assert.deepEqual(toKeyChanges({}, now), {});
    assert.deepEqual(
      toKeyChanges({ key_alias: null, metadata: null, duration: null, rpm_limit: 3, blocked: true }, now),
      {
        keyAlias: null,
        metadata: {},
        expires: null,
        rpmLimit: 3,
        blocked: true,
      },
    );
    assert.deepEqual(toKeyChanges({ duration: '1h' }, now), { expires: new Date('2026-01-01T01:00:00Z') });
  });
  it('audits field values but never a secret', () => {
    const audited = auditedFields({
      models: ['a'],
      ...({ key: 'sk-secret-secret-secret', new_key: 'sk-other-other-other' } as object),
    });
    assert.deepEqual(audited, { models: ['a'] });
  });
});
