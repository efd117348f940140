import { loadGatewayConfig } from './config.loader';
import type { GatewayConfig } from './gateway-config';

/**
 * The running process's config, from its command-line arguments (`argv`, after the script), environment and working
 * directory. The one place the gateway reads process.env: everything else gets its settings from GatewayConfig.
 */
export function loadProcessConfig(argv: readonly string[]): GatewayConfig {
  return loadGatewayConfig({ argv, env: process.env, cwd: process.cwd() });
}
