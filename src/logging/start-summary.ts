import type { Logger } from 'pino';
import { databaseLocation } from '../config/database-url';
import type { GatewayConfig } from '../config/gateway-config';

/** Model groups named in the summary line; more are counted. */
const GROUPS_SHOWN = 8;

/**
 * What an operator needs to know once the gateway listens, in a few lines: where it listens, which database it
 * uses, which models it serves, who can call it, and how many warnings came before. Each line has its fields for
 * JSON readers; no credential appears (the database by host, port and name; the master key by where it came from).
 */
export function logStartSummary(log: Logger, config: GatewayConfig, port: number, warnings: number): void {
  const host = config.server.host;
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  const url = `http://${shownHost}:${port}`;
  log.info({ url, port, host, config: config.configFile }, 'gateway listening');

  const db = config.database;
  if (db.kind === 'postgres') {
    const at = databaseLocation(db.url);
    log.info({ database: 'postgres', at, from: db.source }, `database: PostgreSQL at ${at} (from ${db.source})`);
  } else {
    log.info(
      { database: 'embedded', at: db.dataDir },
      `database: embedded store in ${db.dataDir} (one instance; set DATABASE_URL for PostgreSQL)`,
    );
  }

  const groups = [...new Set(config.models.map((m) => m.modelName))];
  const names = groups.slice(0, GROUPS_SHOWN).join(', ') + (groups.length > GROUPS_SHOWN ? ', ...' : '');
  log.info(
    { groups: groups.length, deployments: config.models.length },
    groups.length === 0
      ? 'models: none (add model_list entries to the config)'
      : `models: ${groups.length} group(s), ${config.models.length} deployment(s): ${names}`,
  );

  const modes: string[] = [];
  if (config.masterKey) modes.push(`master key (from ${config.masterKeySource})`);
  modes.push('virtual keys');
  if (config.jwt.enabled) {
    const urls = config.jwt.publicKeyUrls.length;
    modes.push(urls ? `JWT (keys from ${urls} URL(s))` : 'JWT (but JWT_PUBLIC_KEY_URL is not set)');
  }
  log.info({ masterKeyFrom: config.masterKeySource ?? null, jwt: config.jwt.enabled }, `auth: ${modes.join(', ')}`);
  if (warnings > 0) log.info({ warnings }, `${warnings} warning(s) at start: see above`);
}
