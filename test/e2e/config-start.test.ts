import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, ROOT, runGatewayToExit, spawnGateway, tempDir, writeConfig } from '../support/gateway';
import { createTestDatabase } from '../support/postgres';

const MODEL = 'model_list:\n  - model_name: gpt\n    litellm_params:\n      model: openai/gpt-4o\n';

/** The production build refuses the config: non-zero exit, exactly one line on stderr naming file and key path, no stack. */
async function refused(args: string[], env: Record<string, string>, expected: RegExp): Promise<string> {
  // In an empty working directory: a developer's own ./config.yaml in the repository must not change the outcome.
  const r = await runGatewayToExit(args, env, 20_000, { cwd: tempDir('gw-cwd-') });
  assert.notEqual(r.code, 0, `exit code for ${expected}`);
  assert.equal(r.stdout, '', 'nothing on stdout');
  const lines = r.stderr.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, `one line, got:\n${r.stderr}`);
  assert.match(lines[0], expected);
  assert.doesNotMatch(r.stderr, /\bat .+:\d+:\d+|Error:|node:internal/, 'no stack trace');
  return lines[0];
}

describe('config errors stop the production build with one line', { concurrency: 4 }, () => {
  const badConfigs: [string, string, Record<string, string>, string][] = [
    [
      'YAML syntax error (with its line)',
      'model_list:\n  - model_name: a\n    litellm_params: {model: openai/x\n',
      {},
      'line 4, column 1: invalid YAML',
    ],
    [
      'unknown key under litellm_jwtauth',
      'general_settings:\n  litellm_jwtauth:\n    audiance: x\n',
      {},
      'general_settings.litellm_jwtauth.audiance: unknown key',
    ],
    [
      'os.environ/X unset',
      `${MODEL}      api_key: os.environ/GW_TEST_UNSET_VAR\n`,
      {},
      'model_list[0].litellm_params.api_key: os.environ/GW_TEST_UNSET_VAR is not set',
    ],
    [
      'model without model_name',
      'model_list:\n  - litellm_params:\n      model: openai/x\n',
      {},
      'model_list[0].model_name: is required',
    ],
    [
      'model without litellm_params.model',
      'model_list:\n  - model_name: a\n    litellm_params:\n      api_key: k\n',
      {},
      'model_list[0].litellm_params.model: is required',
    ],
    [
      'misspelt security setting',
      'general_settings:\n  master_kye: sk-1234\n',
      {},
      'general_settings.master_kye: unknown key: not a LiteLLM setting (did you mean master_key?)',
    ],
    [
      'a provider rule broken (hosted_vllm/ needs its api_base)',
      'model_list:\n  - model_name: a\n    litellm_params:\n      model: hosted_vllm/llama\n',
      {},
      'model_list[0].litellm_params.api_base: is required for hosted_vllm deployments',
    ],
  ];
  for (const [what, yaml, env, message] of badConfigs) {
    it(what, async () => {
      const file = writeConfig(yaml);
      const line = await refused(['--config', file], env, /^config error: /);
      assert.ok(line.includes(`${file}: ${message}`), line);
    });
  }

  it('every problem of the file at once, one line each, exit 2', async () => {
    const file = writeConfig(
      'genral_settings:\n  master_key: sk-1\nmodel_list:\n  - model_name: a\n    litelm_params:\n      model: gpt-4o\n' +
        'router_settings:\n  routing_strategy: fastest\n',
    );
    const r = await runGatewayToExit(['--config', file], {}, 20_000, { cwd: tempDir('gw-cwd-') });
    assert.equal(r.code, 2);
    const lines = r.stderr.split('\n').filter(Boolean);
    assert.equal(lines.length, 3, r.stderr);
    assert.ok(
      lines[0].includes(
        `${file}: genral_settings: unknown key: not a LiteLLM setting (did you mean general_settings?)`,
      ),
    );
    assert.ok(
      lines[1].includes(
        `${file}: model_list[0].litelm_params: unknown key: not a LiteLLM setting (did you mean litellm_params?)`,
      ),
    );
    assert.ok(lines[2].includes(`${file}: router_settings.routing_strategy: `));
  });

  it('non-numeric --port and PORT', async () => {
    await refused(['--port', '40x0'], {}, /^config error: --port: "40x0" is not a valid port/);
    await refused([], { PORT: 'http' }, /^config error: env PORT: "http" is not a valid port/);
  });

  it('a --config file that does not exist', async () => {
    await refused(
      ['--config', '/nonexistent/dir/gw.yaml'],
      {},
      /^config error: \/nonexistent\/dir\/gw\.yaml: cannot be read \(ENOENT\)$/,
    );
  });
});

describe('config at start (production build)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    await db?.drop();
  });

  it('LiteLLM settings the gateway does not implement: one warning naming each, and the gateway starts', async () => {
    const file = writeConfig(
      `litellm_settings:\n  drop_params: true\n  callbacks: [langfuse]\ngeneral_settings:\n  master_key: sk-warn-test-1\n  alerting: [slack]\n${MODEL}      aws_region_name: us-east-1\n`,
    );
    const gw = await spawnGateway(['--config', file], { DATABASE_URL: db.url });
    try {
      assert.equal((await fetch(`${gw.url}/health/readiness`)).status, 200);
      const warnings = gw
        .output()
        .split('\n')
        .filter((l) => l.includes('"level":"warn"'))
        .map((l) => JSON.parse(l).msg as string);
      for (const [path, named] of [
        ['litellm_settings.callbacks', ' (langfuse)'],
        ['general_settings.alerting', ''],
        ['model_list[0].litellm_params.aws_region_name', ''],
      ]) {
        assert.equal(
          warnings.filter(
            (w) => w === `${file}: ${path}: LiteLLM setting not implemented by the gateway${named}; ignored`,
          ).length,
          1,
          `${path} in ${warnings.join(' | ')}`,
        );
      }
      const lines = gw.output().split('\n');
      const warned = lines.filter((l) => l.includes('"level":"warn"')).length;
      assert.ok(
        lines.some((l) => l.includes(`"msg":"${warned} warning(s) at start: see above"`)),
        `the start-up summary counts the ${warned} warnings`,
      );
      const models = await fetch(`${gw.url}/v1/models`, { headers: { authorization: 'Bearer sk-warn-test-1' } });
      assert.equal(models.status, 200, 'the rest of the config is in force (master key, model list)');
      assert.deepEqual(
        ((await models.json()) as { data: { id: string }[] }).data.map((m: { id: string }) => m.id),
        ['gpt'],
      );
    } finally {
      assert.equal(await gw.stop(), 0);
    }
  });

  it('a model of a provider the gateway does not implement: the gateway starts, one warning names it, calls get 400', async () => {
    const file = writeConfig(
      'general_settings:\n  master_key: sk-unimpl-test-1\nmodel_list:\n  - model_name: gem\n    litellm_params:\n      model: vertex_ai/gemini-pro\n',
    );
    const gw = await spawnGateway(['--config', file], { DATABASE_URL: db.url });
    try {
      const warned = gw
        .output()
        .split('\n')
        .filter((l) => l.includes('"level":"warn"') && l.includes('vertex_ai'));
      assert.equal(warned.length, 1, gw.output());
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer sk-unimpl-test-1', 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gem', messages: [{ role: 'user', content: 'hi' }] }),
      });
      assert.equal(res.status, 400);
      assert.match(((await res.json()) as { error: { message: string } }).error.message, /provider 'vertex_ai'/);
    } finally {
      assert.equal(await gw.stop(), 0);
    }
  });

  it('./config.yaml of the working directory is used when neither --config nor CONFIG_FILE_PATH is given', async () => {
    const cwd = tempDir('gw-cwd-');
    writeFileSync(join(cwd, 'config.yaml'), 'general_settings:\n  master_key: sk-cwd-config-1\n');
    const gw = await spawnGateway([], { DATABASE_URL: db.url }, 30_000, { cwd });
    try {
      const listening = gw
        .output()
        .split('\n')
        .find((l) => l.includes('gateway listening'));
      assert.ok(listening, gw.output());
      assert.equal(JSON.parse(listening).config, join(cwd, 'config.yaml'));
      assert.equal(
        (await fetch(`${gw.url}/key/list`, { headers: { authorization: 'Bearer sk-cwd-config-1' } })).status,
        200,
      );
    } finally {
      assert.equal(await gw.stop(), 0);
    }
  });

  it('--port wins over PORT', async () => {
    const [envPort, argPort] = [await freePort(), await freePort()];
    const proc = spawn(process.execPath, [join(ROOT, 'dist', 'main.js'), '--port', String(argPort)], {
      cwd: tempDir('gw-cwd-'),
      env: { PATH: process.env.PATH, DATABASE_URL: db.url, PORT: String(envPort), HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => proc.once('exit', r));
    try {
      const deadline = Date.now() + 30_000;
      while (!out.includes('gateway listening')) {
        assert.equal(proc.exitCode, null, out);
        assert.ok(Date.now() < deadline, `not listening: ${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal((await fetch(`http://127.0.0.1:${argPort}/health/liveliness`)).status, 200);
      await assert.rejects(fetch(`http://127.0.0.1:${envPort}/health/liveliness`));
    } finally {
      proc.kill('SIGTERM');
      assert.equal(await exited, 0);
    }
  });
});
