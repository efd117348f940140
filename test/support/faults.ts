import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server as HttpServer,
  type ServerResponse,
} from 'node:http';
import { connect, createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';

/**
 * Fault injection for tests: a TCP proxy that can be "stopped" (every connection destroyed, new ones refused) and
 * "started" again on the same port, and a JWKS endpoint in front of a real provider that can hang, answer garbage,
 * answer an empty key set, fail, or go down. Tests point the gateway at these instead of the real service, so the
 * shared PostgreSQL (and the provider) are never touched.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A listening server whose port survives stop/start: stop() closes the listener and destroys its sockets. */
class Reopenable {
  private readonly sockets = new Set<Socket>();
  port = 0;
  up = false;

  constructor(private readonly server: TcpServer | HttpServer) {
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
  }

  async start(): Promise<void> {
    if (this.up) return;
    // The port was ours a moment ago; if something grabbed it meanwhile, retry briefly.
    for (let attempt = 0; ; attempt++) {
      try {
        await new Promise<void>((resolve, reject) => {
          this.server.once('error', reject);
          this.server.listen(this.port, '127.0.0.1', () => {
            this.server.off('error', reject);
            resolve();
          });
        });
        break;
      } catch (err) {
        if (attempt >= 20) throw err;
        await sleep(100);
      }
    }
    this.port = (this.server.address() as { port: number }).port;
    this.up = true;
  }

  /** Refuse new connections (the port is closed) and cut every open one. */
  async stop(): Promise<void> {
    if (!this.up) return;
    this.up = false;
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  get connections(): number {
    return this.sockets.size;
  }
}

export interface TcpProxy {
  readonly port: number;
  /** Open client connections (each has its own connection to the target). */
  readonly connections: number;
  /** "Stop the service": destroy every connection and refuse new ones (connection refused). */
  stop(): Promise<void>;
  /** "Start the service" again, on the same port. */
  start(): Promise<void>;
  blackhole(): void;
  heal(): void;
  close(): Promise<void>;
}

/** A TCP proxy to `targetHost:targetPort` on a random local port, up at once. */
export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  let silent = false;
  const held = new Set<Socket>();
  const pairs = new Set<[Socket, Socket]>();
  const server = createTcpServer((client) => {
    if (silent) {
      held.add(client.on('error', () => undefined)); // accepted, never answered
      return;
    }
    const target = connect(targetPort, targetHost);
    const cut = () => {
      client.destroy();
      target.destroy();
    };
    client.on('error', cut).on('close', cut);
    target.on('error', cut).on('close', cut);
    client.pipe(target);
    target.pipe(client);
    const pair: [Socket, Socket] = [client, target];
    pairs.add(pair);
    client.once('close', () => pairs.delete(pair));
  });
  const listener = new Reopenable(server);
  await listener.start();
  return {
    get port() {
      return listener.port;
    },
    get connections() {
      return listener.connections;
    },
    stop: () => listener.stop(),
    start: () => listener.start(),
    /** A network partition without resets: nothing flows on open connections, new ones are accepted and never answered. */
    blackhole() {
      silent = true;
      for (const [client, target] of pairs) {
        client.unpipe(target);
        target.unpipe(client);
        client.pause();
        target.pause();
      }
    },
    /** Ends a blackhole: the held connections are cut (as a partition's end finds them), new ones work again. */
    heal() {
      silent = false;
      for (const [client, target] of pairs) {
        client.destroy();
        target.destroy();
      }
      for (const s of held) s.destroy();
      held.clear();
    },
    close: async () => {
      for (const s of held) s.destroy();
      await listener.stop();
    },
  };
}

/** What the JWKS front answers. `pass`: the real provider's JWKS. */
export type JwksMode = 'pass' | 'hang' | 'garbage' | 'bad-keys' | 'empty' | 'error';

export interface JwksFront {
  readonly url: string;
  mode: JwksMode;
  /** Requests received (any mode). */
  readonly requests: number;
  /** Connection refused from now on (open connections cut). */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

/** A JWKS endpoint in front of `jwksUri` (a real provider's), whose behaviour the test switches with `mode`. */
export async function startJwksFront(jwksUri: string): Promise<JwksFront> {
  let requests = 0;
  const front = {
    mode: 'pass' as JwksMode,
  };
  const server = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    requests++;
    req.resume();
    switch (front.mode) {
      case 'hang':
        return; // headers never come; the connection stays open until the caller gives up (or down())
      case 'garbage':
        res.writeHead(200, { 'content-type': 'application/json' }).end('<html><body>502 Bad Gateway</body></html>');
        return;
      case 'bad-keys':
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end('{"keys":[null,5,"x",{"kty":"RSA","kid":"broken","n":"!!","e":"AQAB"}]}');
        return;
      case 'empty':
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys":[]}');
        return;
      case 'error':
        res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error');
        return;
      case 'pass':
        fetch(jwksUri).then(
          async (r) =>
            res
              .writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' })
              .end(await r.text()),
          () => res.destroy(),
        );
    }
  });
  const listener = new Reopenable(server);
  await listener.start();
  return {
    url: `http://127.0.0.1:${listener.port}/jwks`,
    get mode() {
      return front.mode;
    },
    set mode(m: JwksMode) {
      front.mode = m;
    },
    get requests() {
      return requests;
    },
    down: () => listener.stop(),
    up: () => listener.start(),
    close: () => listener.stop(),
  };
}

/** Runs `fn` and answers its result with how long it took, in ms. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - started };
}

/**
 * Polls `check` every 50 ms until it is true; fails naming `what` (and the last error a check threw) after
 * `timeoutMs`. A check that throws (a poll's connection reset while a service recovers) counts as "not yet".
 */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<number> {
  const started = Date.now();
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return Date.now() - started;
    } catch (err) {
      last = err;
    }
    if (Date.now() - started > timeoutMs) {
      const why = last === undefined ? '' : ` (last check threw: ${(last as Error).message})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await sleep(50);
  }
}

export { sleep };
