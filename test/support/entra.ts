import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A Microsoft Entra ID token endpoint for tests: `POST /{tenant}/oauth2/v2.0/token` with a client-credentials form
 * answers `{token_type, expires_in, access_token}` (token-1, token-2, ... in order), or Entra's error JSON when told
 * to fail. Records each request's path and form.
 */
export interface FakeEntra {
  readonly url: string;
  readonly requests: { path: string; form: URLSearchParams }[];
  expiresIn: number;
  delayMs: number;
  fail: { status: number; body: unknown } | null;
  /** Resolves at the next request received. */
  nextRequest(): Promise<void>;
  reset(): void;
  close(): Promise<void>;
}

export async function startEntra(): Promise<FakeEntra> {
  let issued = 0;
  let waiters: (() => void)[] = [];
  const state = {
    requests: [] as { path: string; form: URLSearchParams }[],
    expiresIn: 3599,
    delayMs: 0,
    fail: null as { status: number; body: unknown } | null,
  };
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://entra').pathname;
      state.requests.push({ path, form: new URLSearchParams(Buffer.concat(parts).toString()) });
      const wake = waiters;
      waiters = [];
      wake.forEach((w) => w());
      setTimeout(() => {
        const ok = state.fail === null && req.method === 'POST' && /^\/[^/]+\/oauth2\/v2\.0\/token$/.test(path);
        const status = ok ? 200 : (state.fail?.status ?? 404);
        const body = ok
          ? {
              token_type: 'Bearer',
              expires_in: state.expiresIn,
              ext_expires_in: state.expiresIn,
              access_token: `token-${++issued}`,
            }
          : (state.fail?.body ?? { error: 'invalid_request' });
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      }, state.delayMs);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    nextRequest: () => new Promise<void>((r) => waiters.push(r)),
    reset() {
      state.requests.length = 0;
      state.expiresIn = 3599;
      state.delayMs = 0;
      state.fail = null;
      issued = 0;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  });
}
