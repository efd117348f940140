import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseCommandLine } from './command-line';
import { readConfigFile, type FileRead } from './config-file';
import { ConfigOrigins } from './config-origins';
import { fileSchema } from './config.schema';
import { deepFreeze, type Env } from './config.util';
import type { GatewayConfig } from './gateway-config';
import { toGatewayConfig } from './to-gateway-config';

export type { Env } from './config.util';

export interface LoadOptions {
  argv?: readonly string[];
  env?: Env;
  cwd?: string;
}

/**
 * Reads, resolves and validates the whole configuration once. Throws a ConfigError listing every problem of the
 * file, one line each.
 */
export function loadGatewayConfig(opts: LoadOptions = {}): GatewayConfig {
  const env = opts.env ?? {};
  const cwd = opts.cwd ?? '.';
  const args = parseCommandLine(opts.argv ?? [], env);
  const configFile = pickConfigFile(args.config, env, cwd);
  const warnings: string[] = [...args.warnings];
  if (!configFile) {
    const read: FileRead = { file: fileSchema.parse({}), env, credentials: new Map() };
    return deepFreeze(toGatewayConfig(read, configFile, args, cwd, warnings));
  }
  // Messages name the merged config's keys; the origins point each at the included file it came from.
  const origins = new ConfigOrigins(configFile);
  try {
    const read = readConfigFile(configFile, env, warnings, origins);
    const config = toGatewayConfig(read, configFile, args, cwd, warnings);
    return deepFreeze({ ...config, warnings: config.warnings.map((w) => origins.attribute(w)) });
  } catch (err) {
    throw origins.attributeError(err);
  }
}

function pickConfigFile(fromArgs: string | undefined, env: Env, cwd: string): string | null {
  if (fromArgs) return resolve(cwd, fromArgs);
  if (env.CONFIG_FILE_PATH) return resolve(cwd, env.CONFIG_FILE_PATH);
  const local = resolve(cwd, 'config.yaml');
  return existsSync(local) ? local : null;
}
