import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseCommandLine } from '../../src/config/command-line';
import { ROOT, runGatewayToExit, spawnGateway, tempDir, writeConfig } from '../support/gateway';
import { createTestDatabase } from '../support/postgres';

const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const KNOWN = ['--config', '--port', '--host', '--debug', '--detailed_debug', '--num_workers', '--help', '--version'];

/** The production build run to its exit in an empty folder (no ./config.yaml, no database: nothing may start). */
function run(args: string[], env: Record<string, string> = {}) {
  return runGatewayToExit(args, env, 20_000, { cwd: tempDir('gw-cli-') });
}

describe('command line (production build)', { concurrency: 4 }, () => {
  it('--help prints the options and exits 0 without starting anything', async () => {
    for (const flag of ['--help', '-h']) {
      const r = await run([flag]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '');
      assert.match(r.stdout, /^llm-gateway \S+: /);
      assert.match(r.stdout, /Usage: node dist\/main\.js \[options\]/);
      for (const option of KNOWN) assert.ok(r.stdout.includes(option), `${option} in --help`);
      assert.doesNotMatch(r.stdout, /gateway listening|"level"/, 'no server start');
    }
  });

  it('--version prints the package version and exits 0', async () => {
    const r = await run(['--version']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, `llm-gateway ${VERSION}\n`);
    assert.equal(r.stderr, '');
  });

  it('an unknown option is refused with exit 2, a suggestion and the list of known ones', async () => {
    const r = await run(['--detailed_debg']);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    const lines = r.stderr.split('\n').filter(Boolean);
    assert.equal(lines.length, 1, r.stderr);
    assert.match(
      lines[0],
      /^config error: --detailed_debg: unknown option \(did you mean --detailed_debug\? options: /,
    );
    for (const option of KNOWN) assert.ok(lines[0].includes(option), `${option} listed`);
    const stray = await run(['--config', 'a.yaml', 'b.yaml']);
    assert.equal(stray.code, 2);
    assert.match(stray.stderr, /^config error: command line: unexpected argument "b\.yaml"/);
  });

  it('npm start --config x.yaml (npm takes --config): explained, with the command that works', async () => {
    const cwd = tempDir('gw-npm-');
    const file = writeConfig('general_settings:\n  master_key: sk-npm-slip-1\n');
    // The real npm, as a user types it: npm keeps --config, sets npm_config_config and passes the file on alone.
    const proc = spawn('npm', ['start', '--prefix', ROOT, '--config', file], {
      cwd,
      env: { PATH: process.env.PATH, HOME: process.env.HOME ?? cwd },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((r) => proc.once('close', r));
    assert.notEqual(code, 0, out);
    assert.ok(
      out.includes(
        `config error: command line: npm took --config for itself and passed "${file}" on alone: put -- before the gateway's options, as in: npm start -- --config ${file}`,
      ),
      out,
    );
    assert.doesNotMatch(out, /gateway listening/);
  });

  it('LOG_LEVEL that is not a level: refused naming the known ones', async () => {
    const r = await run([], { LOG_LEVEL: 'chatty' });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^config error: env LOG_LEVEL: "chatty" is not a log level \(one of: trace, debug, verbose/);
  });
});

describe('command line: options that start the gateway (production build)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    await db?.drop();
  });

  /** The JSON lines of a started gateway's output. */
  const linesOf = (out: string) =>
    out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  it('--debug logs at debug (Nest route lines included); --num_workers warns; --host is where it listens', async () => {
    const gw = await spawnGateway(['--debug', '--num_workers', '4', '--host', '127.0.0.1'], { DATABASE_URL: db.url });
    try {
      assert.equal(await gw.stop(), 0);
      const lines = linesOf(gw.output());
      const mapped = lines.filter((l) => String(l.msg).startsWith('Mapped {'));
      assert.ok(mapped.length > 5, 'route lines shown at --debug');
      assert.ok(mapped.every((l) => l.level === 'debug'));
      const warned = lines.find((l) => l.level === 'warn' && String(l.msg).startsWith('--num_workers 4'));
      assert.ok(warned, 'one process: said so');
      assert.equal(lines.find((l) => l.msg === 'gateway listening')?.host, '127.0.0.1');
    } finally {
      await gw.stop();
    }
  });

  it('at the default level the route lines are gone; LOG_LEVEL=verbose is debug; --detailed_debug is trace', async () => {
    const quiet = await spawnGateway([], { DATABASE_URL: db.url });
    assert.equal(await quiet.stop(), 0);
    const lines = linesOf(quiet.output());
    assert.equal(lines.filter((l) => String(l.msg).includes('Mapped {')).length, 0);
    assert.equal(lines.filter((l) => /successfully started|dependencies initialized/.test(String(l.msg))).length, 0);
    assert.ok(lines.length < 15, `a short start:\n${quiet.output()}`);

    const verbose = await spawnGateway([], { DATABASE_URL: db.url, LOG_LEVEL: 'verbose' });
    assert.equal(await verbose.stop(), 0);
    assert.ok(linesOf(verbose.output()).some((l) => l.level === 'debug'));
    assert.equal(parseCommandLine(['--detailed_debug']).logLevel, 'trace');
    assert.equal(parseCommandLine(['--debug']).logLevel, 'debug');
  });
});
