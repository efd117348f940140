import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { runGatewayToExit, tempDir } from '../support/gateway';
import { createTestDatabase } from '../support/postgres';

const PASSWORD = 'pw-never-printed-9431';

/**
 * A PostgreSQL server as far as a login goes, speaking the wire protocol: it reads the startup message, asks for a
 * cleartext password, records it, and refuses it with the ErrorResponse PostgreSQL sends (SQLSTATE 28P01).
 */
async function fakePostgres(): Promise<{ port: number; passwords: string[]; server: Server }> {
  const passwords: string[] = [];
  const server = createServer((socket: Socket) => {
    let buf = Buffer.alloc(0);
    let started = false;
    socket.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (!started && buf.length >= 4 && buf.length >= buf.readInt32BE(0)) {
        started = true;
        buf = buf.subarray(buf.readInt32BE(0));
        const ask = Buffer.alloc(9);
        ask.write('R', 0);
        ask.writeInt32BE(8, 1);
        ask.writeInt32BE(3, 5); // AuthenticationCleartextPassword
        socket.write(ask);
      }
      if (started && buf.length >= 5 && buf[0] === 0x70 /* 'p' */ && buf.length >= 1 + buf.readInt32BE(1)) {
        passwords.push(buf.subarray(5, buf.readInt32BE(1)).toString('utf8'));
        socket.end(errorResponse('28P01', 'password authentication failed for user "gw"'));
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as { port: number }).port, passwords, server };
}

function errorResponse(code: string, message: string): Buffer {
  const fields = Buffer.from(`SFATAL\0VFATAL\0C${code}\0M${message}\0\0`, 'utf8');
  const head = Buffer.alloc(5);
  head.write('E', 0);
  head.writeInt32BE(4 + fields.length, 1);
  return Buffer.concat([head, fields]);
}

/** Runs the production build to its exit; asserts one line on stderr, no stack, no password, no "started". */
async function failsWith(env: Record<string, string>, expected: string, code = 1): Promise<string> {
  const r = await runGatewayToExit([], { PORT: '0', ...env }, 40_000, { cwd: tempDir('gw-err-') });
  const all = r.stdout + r.stderr;
  assert.equal(r.code, code, all);
  const lines = r.stderr.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, `one line on stderr:\n${r.stderr}`);
  assert.equal(lines[0], expected);
  assert.ok(!all.includes(PASSWORD), 'the password is never printed');
  assert.doesNotMatch(all, /\n\s+at |successfully started|gateway listening/);
  return all;
}

describe('errors at start say what failed and where (production build)', { concurrency: 4 }, () => {
  let pg: Awaited<ReturnType<typeof fakePostgres>>;
  let silent: Server;
  let silentPort: number;
  before(async () => {
    pg = await fakePostgres();
    // Accepts connections and never answers: a database that is not reachable in time.
    silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    silentPort = (silent.address() as { port: number }).port;
  });
  after(() => {
    pg?.server.close();
    silent?.close();
  });

  it('the database refuses the password', async () => {
    await failsWith(
      { DATABASE_URL: `postgresql://gw:${PASSWORD}@127.0.0.1:${pg.port}/gateway` },
      `gateway failed to start: database at 127.0.0.1:${pg.port}/gateway (from DATABASE_URL): password authentication failed for user "gw"`,
    );
    assert.ok(pg.passwords.includes(PASSWORD), 'the fake server was asked with the password');
  });

  it('nothing listens at the database address', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as { port: number }).port;
    await new Promise((r) => closed.close(r));
    await failsWith(
      { DATABASE_URL: `postgresql://gw:${PASSWORD}@127.0.0.1:${port}/gateway` },
      `gateway failed to start: database at 127.0.0.1:${port}/gateway (from DATABASE_URL): connection refused (is PostgreSQL running and listening there?)`,
    );
  });

  it('the database does not answer within 10 s', async () => {
    await failsWith(
      { DATABASE_URL: `postgres://gw:${PASSWORD}@127.0.0.1:${silentPort}/db` },
      `gateway failed to start: database at 127.0.0.1:${silentPort}/db (from DATABASE_URL): not reachable within 10 s`,
    );
  });

  it('DATABASE_URL is not a PostgreSQL URL (exit 2, before anything starts)', async () => {
    await failsWith(
      { DATABASE_URL: 'gateway' },
      'config error: DATABASE_URL is not a PostgreSQL URL: "gateway" (expected postgresql://USER:PASSWORD@HOST:5432/DATABASE)',
      2,
    );
    await failsWith(
      { DATABASE_URL: `mysql://gw:${PASSWORD}@db:3306/x` },
      'config error: DATABASE_URL is not a PostgreSQL URL: "mysql://***@db:3306/x" (expected postgresql://USER:PASSWORD@HOST:5432/DATABASE)',
      2,
    );
  });
});

describe('a port in use (production build)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let taken: Server;
  before(async () => {
    db = await createTestDatabase();
    taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '0.0.0.0', r));
  });
  after(async () => {
    taken?.close();
    await db?.drop();
  });

  it('says which port and how to choose another, with no "started" line before it', async () => {
    const port = (taken.address() as { port: number }).port;
    await failsWith(
      { DATABASE_URL: db.url, PORT: String(port) },
      `gateway failed to start: port ${port} is in use (set --port or PORT)`,
    );
  });
});
