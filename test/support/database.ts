import type { Logger } from 'pino';
import type { GatewayConfig } from '../../src/config/gateway-config';
import { DatabaseService } from '../../src/database/database.service';
import { createLogger } from '../../src/logging/logger';
import { LogCapture } from './gateway';

/** A logger that shows nothing; a test that reads the log passes its own LogCapture's logger instead. */
export function silentLog(): Logger {
  return createLogger({ level: 'silent', secrets: [] }, new LogCapture());
}

/**
 * The gateway's DatabaseService opened as the gateway opens it (migrations applied): on the PostgreSQL database at
 * a URL, on an embedded store in `{ dataDir }`, or from a whole config. Closed by `onApplicationShutdown()`.
 */
export function openDatabase(
  where: string | { dataDir: string } | GatewayConfig,
  log: Logger = silentLog(),
): Promise<DatabaseService> {
  const config =
    typeof where === 'string'
      ? { database: { kind: 'postgres', url: where } }
      : 'dataDir' in where
        ? { database: { kind: 'embedded', dataDir: where.dataDir } }
        : where;
  return new DatabaseService(config as GatewayConfig, log).open();
}
