import assert from 'node:assert/strict';
import { readJson } from './gateway';

export interface ApiAnswer {
  status: number;
  body: any;
  headers: Headers;
}

/** A small client for the management routes of a running gateway, with the OpenAI error shape checked. */
export function managementApi(baseUrl: () => string, defaultToken: string) {
  async function api(method: string, path: string, body?: unknown, token = defaultToken): Promise<ApiAnswer> {
    const res = await fetch(baseUrl() + path, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: await readJson(res), headers: res.headers };
  }
  async function ok(method: string, path: string, body?: unknown, token = defaultToken): Promise<any> {
    const r = await api(method, path, body, token);
    assert.equal(r.status, 200, `${method} ${path}: ${JSON.stringify(r.body)}`);
    return r.body;
  }
  return { api, ok };
}

/** A virtual key made through /key/generate with the master key: its secret (`key`) and its id (`token`). */
export async function generateKey(
  gatewayUrl: string,
  masterKey: string,
  fields: object = {},
): Promise<{ key: string; token: string }> {
  const res = await fetch(`${gatewayUrl}/key/generate`, {
    method: 'POST',
    headers: { authorization: `Bearer ${masterKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(fields),
  });
  const json = await readJson(res);
  assert.equal(res.status, 200, JSON.stringify(json));
  return json;
}

/** Asserts an OpenAI-shaped error with this status (and message, code or param when given). */
export function assertError(
  r: ApiAnswer,
  status: number,
  expect: { message?: RegExp; code?: string; param?: string } = {},
): void {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.deepEqual(Object.keys(r.body.error ?? {}).sort(), ['code', 'message', 'param', 'type']);
  if (expect.message) assert.match(String(r.body.error.message), expect.message);
  if (expect.code) assert.equal(r.body.error.code, expect.code);
  if (expect.param) assert.equal(r.body.error.param, expect.param);
}

export async function waitFor(check: () => boolean | Promise<boolean>, ms = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
