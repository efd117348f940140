import assert from 'node:assert/strict';
import { ConfigError } from '../../src/config/config.error';
import { loadGatewayConfig, type Env } from '../../src/config/config.loader';
import type { GatewayConfig } from '../../src/config/gateway-config';
import { tempDir, writeConfig } from './gateway';

/** A config.yaml given as text, loaded as the gateway loads it (the working folder elsewhere). */
export function loadYaml(yaml: string, env: Env = {}): GatewayConfig {
  return loadGatewayConfig({ argv: ['--config', writeConfig(yaml)], env, cwd: tempDir('gw-cwd-') });
}

/** The ConfigError that `load` stops the start with; the test fails when it loads. */
export function refusedBy(load: () => unknown): ConfigError {
  try {
    load();
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err;
  }
  return assert.fail('expected the config to be refused');
}
