import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { readJson, ROOT, spawnGateway, tempDir, type SpawnedGateway } from '../support/gateway';
import { startOidcProvider, type TestOidcProvider } from '../support/oidc';
import { chatChunks, chatCompletion, startUpstream, type FakeUpstream } from '../support/upstream';

/**
 * The README's first hour, on the production build: the example configs start as the README says (its two env
 * variables, the embedded store), the start-up summary says where, what and who, a call goes through, the access
 * line of a streamed call carries what an operator looks for and no secret, and a terminal gets readable lines.
 */
const AZURE_KEY = 'sk-azure-upstream-first-hour-0001';
const EXAMPLE_MASTER = 'sk-1234';

/** The gateway's JSON lines (stdout), parsed; other lines skipped. */
function jsonLines(out: string): Record<string, unknown>[] {
  return out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const messages = (gw: SpawnedGateway) => jsonLines(gw.output()).map((l) => l.msg as string);

describe('first hour: the example configs as the README runs them (production build)', () => {
  let up: FakeUpstream;
  let idp: TestOidcProvider;

  before(async () => {
    up = await startUpstream();
    idp = await startOidcProvider({
      clients: [
        { clientId: 'team-blue', scope: 'read' },
        { clientId: 'ops-admin', scope: 'litellm_proxy_admin' },
      ],
    });
  });
  after(async () => {
    await up?.close();
    await idp?.stop();
  });

  it('config.example.yaml: the summary names URL, store, models and auth; a call reaches the Azure deployment', async () => {
    const gw = await spawnGateway(['--config', join(ROOT, 'config.example.yaml')], {
      AZURE_API_BASE: up.url,
      AZURE_API_KEY: AZURE_KEY,
    });
    try {
      const said = messages(gw);
      assert.ok(
        said.some((m) => m === 'gateway listening'),
        said.join(' | '),
      );
      assert.ok(
        said.some((m) => /^database: embedded store in .+ \(one instance; set DATABASE_URL for PostgreSQL\)$/.test(m)),
        said.join(' | '),
      );
      assert.ok(said.includes('models: 1 group(s), 1 deployment(s): azure-gpt-3.5'), said.join(' | '));
      assert.ok(said.includes('auth: master key (from general_settings.master_key), virtual keys'), said.join(' | '));
      assert.ok(!said.some((m) => /warning\(s\) at start/.test(m)), 'the example starts without warnings');

      up.respondWith({ json: chatCompletion('hello there', { prompt_tokens: 7, completion_tokens: 2 }) });
      const client = new OpenAI({ apiKey: EXAMPLE_MASTER, baseURL: `${gw.url}/v1`, maxRetries: 0 });
      const answer = await client.chat.completions.create({
        model: 'azure-gpt-3.5',
        messages: [{ role: 'user', content: 'hi' }],
      });
      assert.equal(answer.choices[0].message.content, 'hello there');
      const sent = up.requests.at(-1)!;
      assert.equal(sent.path, '/openai/deployments/gpt-35-turbo/chat/completions');
      assert.equal(sent.query['api-version'], '2024-06-01');
      assert.equal(sent.headers['api-key'], AZURE_KEY);
    } finally {
      assert.equal(await gw.stop(), 0);
    }
    assert.ok(!gw.output().includes(AZURE_KEY), 'the upstream key is in no log line');
  });

  it('LITELLM_MASTER_KEY wins over the file, and the summary says so', async () => {
    const master = 'sk-from-the-environment-0001';
    const gw = await spawnGateway(['--config', join(ROOT, 'config.example.yaml')], {
      AZURE_API_BASE: up.url,
      AZURE_API_KEY: AZURE_KEY,
      LITELLM_MASTER_KEY: master,
    });
    try {
      assert.ok(
        messages(gw).includes(
          'auth: master key (from LITELLM_MASTER_KEY, over general_settings.master_key), virtual keys',
        ),
        messages(gw).join(' | '),
      );
      const models = (key: string) => fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
      assert.equal((await models(master)).status, 200);
      assert.equal((await models(EXAMPLE_MASTER)).status, 401, "the file's key no longer opens the gateway");
    } finally {
      assert.equal(await gw.stop(), 0);
    }
    assert.ok(!gw.output().includes(master), 'the master key is in no log line');
  });

  it('config.jwt.example.yaml with a local OpenID provider: a team token calls, an admin scope manages keys', async () => {
    const gw = await spawnGateway(['--config', join(ROOT, 'config.jwt.example.yaml')], {
      AZURE_API_BASE: up.url,
      AZURE_API_KEY: AZURE_KEY,
      JWT_PUBLIC_KEY_URL: idp.jwksUri,
    });
    const team = await idp.token('team-blue', 'read');
    const admin = await idp.token('ops-admin', 'litellm_proxy_admin');
    try {
      assert.ok(
        messages(gw).includes(
          'auth: master key (from general_settings.master_key), virtual keys, JWT (keys from 1 URL(s))',
        ),
      );
      up.respondWith({ sse: chatChunks(['str', 'eam', 'ed'], { prompt_tokens: 11, completion_tokens: 3 }) });
      const client = new OpenAI({ apiKey: team, baseURL: `${gw.url}/v1`, maxRetries: 0 });
      const stream = await client.chat.completions.create({
        model: 'azure-gpt-3.5',
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
      });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
      assert.equal(text, 'streamed');

      const made = await fetch(`${gw.url}/key/generate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({ key_alias: 'from-the-admin-token' }),
      });
      assert.equal(made.status, 200, JSON.stringify(await readJson(made.clone())));
      const denied = await fetch(`${gw.url}/key/generate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${team}`, 'content-type': 'application/json' },
        body: '{}',
      });
      assert.equal(denied.status, 403, 'a team token does not manage keys');
    } finally {
      assert.equal(await gw.stop(), 0);
    }
    // The streamed call's access line: what was called, by whom, for how much; never a token or a key.
    const line = jsonLines(gw.output()).find((l) => l.msg === 'request' && l.path === '/v1/chat/completions');
    assert.ok(line, 'an access line for the streamed call');
    assert.equal(line.status, 200);
    assert.equal(line.role, 'team');
    assert.equal(line.team, 'team-blue');
    assert.equal(line.model_group, 'azure-gpt-3.5');
    assert.equal(typeof line.model_id, 'string');
    assert.equal(line.prompt_tokens, 11);
    assert.equal(line.completion_tokens, 3);
    assert.equal(typeof line.spend, 'number');
    for (const secret of [team, admin, AZURE_KEY, team.split('.')[2]]) {
      assert.ok(!gw.output().includes(secret), 'no token, signature or upstream key in the output');
    }
  });
});

describe('first hour: log format (production build)', () => {
  const config = join(ROOT, 'config.example.yaml');
  const env = { AZURE_API_BASE: 'http://127.0.0.1:9', AZURE_API_KEY: AZURE_KEY };

  it('LOG_FORMAT=pretty writes readable lines: time, level, message, fields', async () => {
    const gw = await spawnGateway(['--config', config], { ...env, LOG_FORMAT: 'pretty' });
    try {
      await fetch(`${gw.url}/health/liveliness`);
    } finally {
      await gw.stop();
    }
    const listening = gw
      .output()
      .split('\n')
      .find((l) => l.includes('gateway listening'));
    assert.match(listening ?? '', /^\d{2}:\d{2}:\d{2}\.\d{3} INFO {1,2}gateway listening .*\bport=\d+/);
    assert.ok(
      !gw
        .output()
        .split('\n')
        .some((l) => l.startsWith('{')),
      'no JSON line in pretty mode',
    );
  });

  it('LOG_LEVEL=error still shows where the gateway listens and the summary, and no info line besides', async () => {
    const gw = await spawnGateway(['--config', config], { ...env, LOG_LEVEL: 'error' });
    try {
      assert.equal((await fetch(`${gw.url}/health/liveliness`)).status, 200);
    } finally {
      await gw.stop();
    }
    const said = jsonLines(gw.output()).map((l) => l.msg as string);
    assert.ok(said.includes('gateway listening'), said.join(' | '));
    assert.ok(
      said.some((m) => m.startsWith('auth: ')),
      said.join(' | '),
    );
    assert.ok(!said.includes('request'), 'no access line at error');
    assert.ok(!said.some((m) => m.startsWith('applied ')), 'no other info line at error');
  });

  it('a terminal gets pretty lines by itself; a pipe gets JSON', async () => {
    // `script` gives the gateway a pseudo-terminal as stdout, as a person running it in a shell has.
    const dataDir = join(tempDir('gw-tty-'), 'data');
    const started = await new Promise<string>((resolve) => {
      const child = execFile(
        'script',
        ['-qec', `${process.execPath} ${join(ROOT, 'dist', 'main.js')} --config ${config} --port 0`, '/dev/null'],
        { env: { ...env, PATH: process.env.PATH, DATA_DIR: dataDir, HOST: '127.0.0.1' } },
      );
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('gateway listening')) child.kill('SIGTERM');
      });
      child.once('close', () => resolve(out));
    });
    const line = started.split(/\r?\n/).find((l) => l.includes('gateway listening')) ?? '';
    assert.ok(!line.trimStart().startsWith('{'), `a readable line on a terminal, got: ${line}`);
    assert.match(line, /INFO.*gateway listening/);
    assert.ok(line.includes('\x1b['), 'coloured on a terminal');
  });
});
