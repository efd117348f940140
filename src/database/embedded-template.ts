import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

const TEMPLATE = join('dist', 'pglite-template.tar.gz');
const TEMPLATE_VERSION = join('dist', 'pglite-template.version');

/**
 * The empty cluster the build wrote (scripts/pglite-template.js), to start a fresh embedded store from instead of
 * running initdb. Only when `dataDir` holds no cluster yet and the template was made by the installed PGlite
 * version; otherwise undefined (initdb runs as usual).
 */
export function clusterTemplateFile(dataDir: string): string | undefined {
  if (hasCluster(dataDir)) return undefined;
  const root = packageRoot();
  if (!root) return undefined;
  const version = installedPgliteVersion();
  try {
    if (!version || readFileSync(join(root, TEMPLATE_VERSION), 'utf8').trim() !== version) return undefined;
    const file = join(root, TEMPLATE);
    return existsSync(file) ? file : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `dataDir` already holds a database cluster (PostgreSQL writes PG_VERSION first). */
export function hasCluster(dataDir: string): boolean {
  return existsSync(join(dataDir, 'PG_VERSION'));
}

/** Removes what a failed template load left in a data folder that held no cluster before (the lock file stays). */
export function clearFailedCluster(dataDir: string, keep: string): void {
  for (const name of readdirSync(dataDir))
    if (name !== keep) rmSync(join(dataDir, name), { recursive: true, force: true });
}

/** The folder holding `dist/` with the template: the gateway's own root (from dist/ or from compiled tests). */
function packageRoot(): string | undefined {
  let dir = __dirname;
  for (let i = 0; i < 5; i++) {
    dir = dirname(dir);
    if (existsSync(join(dir, TEMPLATE_VERSION))) return dir;
  }
  return undefined;
}

function installedPgliteVersion(): string | undefined {
  try {
    // The package's exports hide package.json: find it above the resolved entry point.
    let dir = dirname(require.resolve('@electric-sql/pglite'));
    for (let i = 0; i < 4; i++, dir = dirname(dir)) {
      const file = join(dir, 'package.json');
      if (!existsSync(file)) continue;
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === '@electric-sql/pglite') return pkg.version;
    }
  } catch {
    /* not resolvable: no template */
  }
  return undefined;
}
