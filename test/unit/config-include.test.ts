import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadGatewayConfig } from '../../src/config/config.loader';
import { refusedBy } from '../support/config';
import { tempDir } from '../support/gateway';

/** Writes `files` (name -> YAML) into a new folder and loads `config.yaml` from there, with `cwd` elsewhere. */
function loadFrom(files: Record<string, string>, env: Record<string, string> = {}) {
  const dir = tempDir('gw-include-');
  for (const [name, yaml] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), yaml);
  }
  const config = loadGatewayConfig({ argv: ['--config', join(dir, 'config.yaml')], env, cwd: tempDir('gw-cwd-') });
  return { config, warnings: config.warnings };
}

const refused = (files: Record<string, string>) => refusedBy(() => loadFrom(files));

const model = (name: string) => `  - model_name: ${name}\n    litellm_params: { model: openai/${name}, api_key: k }\n`;

/** LiteLLM's top-level `include`: other YAML files merged into the config, lists appended, other keys replaced. */
describe('config include', () => {
  it('appends the model_list of each included file, relative to the including file, in order', () => {
    const { config } = loadFrom({
      'config.yaml': `include:\n  - models/a.yaml\n  - b.yaml\nmodel_list:\n${model('parent')}general_settings:\n  master_key: sk-include-1234\n`,
      'models/a.yaml': `model_list:\n${model('from-a')}`,
      'b.yaml': `model_list:\n${model('from-b-1')}${model('from-b-2')}`,
    });
    assert.deepEqual(
      config.models.map((m) => m.modelName),
      ['parent', 'from-a', 'from-b-1', 'from-b-2'],
    );
    assert.equal(config.masterKey, 'sk-include-1234');
  });

  it('takes a single file too; a section from an included file replaces the parent one, as in LiteLLM', () => {
    const { config } = loadFrom({
      'config.yaml': `include: settings.yaml\nmodel_list:\n${model('m')}general_settings:\n  master_key: sk-parent-1234\n  proxy_batch_write_at: 5\n`,
      'settings.yaml': 'general_settings:\n  master_key: sk-included-5678\nrouter_settings:\n  num_retries: 4\n',
    });
    assert.equal(config.masterKey, 'sk-included-5678');
    assert.equal(config.spend.writeIntervalMs, 1_000, "the parent's general_settings is replaced whole");
    assert.equal(config.router.numRetries, 4);
  });

  it('reads os.environ references and environment_variables of included files like the parent', () => {
    const { config } = loadFrom(
      {
        'config.yaml': `include: [models.yaml, env.yaml]\ngeneral_settings:\n  master_key: os.environ/MK\n`,
        'models.yaml': `model_list:\n  - model_name: m\n    litellm_params: { model: openai/m, api_key: os.environ/UPSTREAM_KEY }\n`,
        'env.yaml': 'environment_variables:\n  UPSTREAM_KEY: up-key-from-file\n',
      },
      { MK: 'sk-env-master-1234' },
    );
    assert.equal(config.masterKey, 'sk-env-master-1234');
    assert.equal(config.models[0].apiKey, 'up-key-from-file');
  });

  it("follows an included file's list of includes, relative to the top file, after the top file's own", () => {
    const { config, warnings } = loadFrom({
      'config.yaml': `include: [models/a.yaml, c.yaml]\ngeneral_settings:\n  master_key: sk-include-1234\n`,
      'models/a.yaml': `include: [b.yaml]\nmodel_list:\n${model('a')}`,
      'b.yaml': `model_list:\n${model('b')}`,
      'c.yaml': `model_list:\n${model('c')}`,
    });
    assert.deepEqual(
      config.models.map((m) => m.modelName),
      ['a', 'c', 'b'],
    );
    assert.deepEqual(warnings, []);
  });

  it("warns of an included file's single-path include, which LiteLLM does not follow either", () => {
    const { config, warnings } = loadFrom({
      'config.yaml': `include: [a.yaml]\ngeneral_settings:\n  master_key: sk-include-1234\n`,
      'a.yaml': `include: b.yaml\nmodel_list:\n${model('a')}`,
      'b.yaml': `model_list:\n${model('b')}`,
    });
    assert.deepEqual(
      config.models.map((m) => m.modelName),
      ['a'],
    );
    assert.ok(
      warnings.some((w) => /a\.yaml: include: only a list of paths is followed/.test(w)),
      warnings.join('\n'),
    );
  });

  it('refuses an include cycle instead of reading it for ever', () => {
    const err = refused({
      'config.yaml': 'include: [a.yaml]\n',
      'a.yaml': 'include: [b.yaml]\n',
      'b.yaml': 'include: [a.yaml]\n',
    });
    assert.equal(err.keyPath, 'include');
    assert.match(err.problem, /a\.yaml is included more than once/);
  });

  it('refuses a missing file, a file that is not a mapping, bad YAML and an include that is not paths', () => {
    const missing = refused({ 'config.yaml': 'include: [nope.yaml]\n' });
    assert.equal(missing.keyPath, 'include: nope.yaml');
    assert.match(missing.problem, /nope\.yaml cannot be read \(ENOENT\)/);

    const list = refused({ 'config.yaml': 'include: [list.yaml]\n', 'list.yaml': '- a\n- b\n' });
    assert.match(list.source, /list\.yaml$/);
    assert.match(list.problem, /top level must be a mapping/);

    const bad = refused({ 'config.yaml': 'include: [bad.yaml]\n', 'bad.yaml': 'model_list: [\n' });
    assert.match(bad.source, /bad\.yaml$/);
    assert.match(bad.problem, /invalid YAML/);

    const notPaths = refused({ 'config.yaml': 'include: {a: 1}\n' });
    assert.equal(notPaths.keyPath, 'include');
    assert.match(notPaths.problem, /file path or a list of file paths/);
  });

  it('names the included file and its own index in warnings about what came from it', () => {
    const { warnings } = loadFrom({
      'config.yaml': `include: [models/b.yaml, router.yaml]\nmodel_list:\n${model('top-1')}${model('top-2')}general_settings:\n  master_key: sk-include-1234\n`,
      'models/b.yaml': `model_list:\n${model('b-1')}  - model_name: b-2\n    litellm_params: { model: openai/b-2, api_key: k, aws_region_name: eu }\n`,
      'router.yaml': 'router_settings:\n  num_retries: 2\n  polling_interval: 5\n',
    });
    const b = warnings.find((w) => w.includes('aws_region_name'));
    assert.ok(b, warnings.join('\n'));
    assert.match(b, /models\/b\.yaml: model_list\[1\]\.litellm_params\.aws_region_name: /);
    const r = warnings.find((w) => w.includes('polling_interval'));
    assert.ok(r, warnings.join('\n'));
    assert.match(r, /router\.yaml: router_settings\.polling_interval: /);
  });

  it('names the included file and its own index in the errors that stop the start', () => {
    const err = refused({
      'config.yaml': `include: [more.yaml, gs.yaml]\nmodel_list:\n${model('top')}`,
      'more.yaml': `model_list:\n${model('ok')}  - model_name: bad\n    litellm_params: { model: openai/bad, api_key: k, rpm: lots }\n`,
      'gs.yaml': 'general_settings:\n  master_key: sk-include-1234\n  mastr_key: typo\n',
    });
    const lines = err.problems.map((p) => `${p.source}: ${p.keyPath}: ${p.problem}`);
    assert.ok(
      lines.some((l) => /gs\.yaml: general_settings\.mastr_key: unknown key/.test(l)),
      lines.join('\n'),
    );
    assert.ok(
      lines.some((l) => /more\.yaml: model_list\[1\]\.litellm_params\.rpm: /.test(l)),
      lines.join('\n'),
    );
    assert.ok(!lines.some((l) => /config\.yaml: (general_settings|model_list\[2\])/.test(l)), lines.join('\n'));
  });
});
