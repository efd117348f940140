import { createHash } from 'node:crypto';
import type { DatabaseService } from '../../database/database.service';

type Queryable = Pick<DatabaseService, 'query'>;
const known = new WeakMap<Queryable, Promise<string>>();

/**
 * The Redis namespace of one database: its limit counts and its change broadcast. Gateways on the same database
 * share them; a gateway on another database (a new one, another deployment) sharing the Redis neither inherits the
 * rpm windows, slots and budget spend of teams, users, end users and keys of the same ids, nor hears their changes.
 */
export function redisNamespace(db: Queryable): Promise<string> {
  let ns = known.get(db);
  if (ns === undefined) {
    ns = identify(db);
    known.set(db, ns);
  }
  return ns;
}

async function identify(db: Queryable): Promise<string> {
  const [row] = await db.query<{ name: string; oid: string }>(
    'SELECT current_database() AS name, oid::text AS oid FROM pg_database WHERE datname = current_database()',
  );
  let cluster = '';
  try {
    const [s] = await db.query<{ id: string }>('SELECT system_identifier::text AS id FROM pg_control_system()');
    cluster = s?.id ?? '';
  } catch {
    // Not granted to this role: the database's name and oid alone (a database created again gets a new oid).
  }
  return createHash('sha256')
    .update(`${cluster}/${row?.oid ?? ''}/${row?.name ?? ''}`)
    .digest('hex')
    .slice(0, 16);
}
