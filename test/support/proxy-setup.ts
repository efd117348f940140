import OpenAI from 'openai';
import { spawnGateway, startGateway, writeConfig, type InProcessGateway, type SpawnedGateway } from './gateway';
import { createTestDatabase, type TestDatabase } from './postgres';
import { startUpstream, type FakeUpstream, type Responder } from './upstream';

/** An OpenAI client of a gateway's /v1 with `apiKey`, without retries: a test sees each answer as it came. */
export function openaiClient(gatewayUrl: string, apiKey: string): OpenAI {
  return new OpenAI({ apiKey, baseURL: `${gatewayUrl}/v1`, maxRetries: 0 });
}

export interface ProxySetup {
  readonly up: FakeUpstream;
  readonly gw: InProcessGateway;
  /** An OpenAI client of the gateway, with the setup's `apiKey`. */
  readonly client: OpenAI;
  /** Closes the gateway, then the upstream (then drops the database, if any). */
  close(): Promise<void>;
}

/** A proxy set-up whose gateway stores in a fresh PostgreSQL database of its own. */
export interface ProxyOnDatabase extends ProxySetup {
  readonly db: TestDatabase;
}

export interface ProxySetupOptions {
  /** The gateway's config.yaml, given the fake upstream's URL (or as it is, for a config that names no upstream). */
  yaml: string | ((upstreamUrl: string) => string);
  /** The key the setup's client calls with (usually the master key). */
  apiKey: string;
  /** How the fake upstream answers (default: its own default answer). */
  respond?: Responder;
  env?: Record<string, string | undefined>;
  /**
   * A fresh PostgreSQL database with this name prefix (createTestDatabase) for the gateway, as DATABASE_URL in its
   * env, dropped by close(). Without it the gateway stores in an embedded store of its own.
   */
  database?: string;
}

/** The proxy tests' set-up: a fake upstream, a gateway from YAML pointing at it, and an OpenAI client. */
export function startProxy(opts: ProxySetupOptions & { database: string }): Promise<ProxyOnDatabase>;
export function startProxy(opts: ProxySetupOptions): Promise<ProxySetup>;
export async function startProxy(opts: ProxySetupOptions): Promise<ProxySetup> {
  if (opts.database !== undefined) {
    if (opts.env?.DATABASE_URL !== undefined)
      throw new Error('startProxy: give `database` or env.DATABASE_URL, not both');
    const s = await startOnDatabase({
      dbPrefix: opts.database,
      respond: opts.respond,
      start: async (upstreamUrl, db) => {
        const gw = await startGateway(configText(opts, upstreamUrl), { ...opts.env, DATABASE_URL: db.url });
        return { gw, close: () => gw.close() };
      },
    });
    return { ...s, client: openaiClient(s.gw.url, opts.apiKey) };
  }
  const up = await startUpstream(opts.respond);
  let gw: InProcessGateway;
  try {
    gw = await startGateway(configText(opts, up.url), opts.env);
  } catch (err) {
    return failedStart(err, () => up.close());
  }
  return {
    up,
    gw,
    client: openaiClient(gw.url, opts.apiKey),
    close: () =>
      inOrder(
        () => gw.close(),
        () => up.close(),
      ),
  };
}

function configText(opts: ProxySetupOptions, upstreamUrl: string): string {
  return typeof opts.yaml === 'string' ? opts.yaml : opts.yaml(upstreamUrl);
}

/**
 * A gateway's config.yaml with `masterKey` and one model group, `m`, sent to the fake upstream at `upstreamUrl`
 * without retries; `modelInfo` (e.g. its prices) goes under the deployment's model_info.
 */
export function oneModelYaml(masterKey: string, upstreamUrl: string, modelInfo: Record<string, number> = {}): string {
  const info = Object.entries(modelInfo).map(([k, v]) => `\n      ${k}: ${v}`);
  return `general_settings:
  master_key: ${masterKey}
model_list:
  - model_name: m
    litellm_params:
      model: openai/gpt-upstream
      api_base: ${upstreamUrl}/v1
      api_key: upstream-key${info.length ? `\n    model_info:${info.join('')}` : ''}
router_settings:
  num_retries: 0
`;
}

/** What a set-up on a database starts besides the upstream: its gateways, as named fields, and how to stop them. */
export interface Gateways {
  close(): Promise<void>;
}

/** Two gateways, A and B. */
export interface Pair<G> extends Gateways {
  readonly a: G;
  readonly b: G;
}

/** A fake upstream, a fresh database and gateways on both. */
export type DatabaseSetup<G extends Gateways> = Omit<G, 'close'> & {
  readonly up: FakeUpstream;
  readonly db: TestDatabase;
  /** Stops the gateways, closes the upstream, then drops the database. */
  close(): Promise<void>;
};

export interface DatabaseSetupOptions<G extends Gateways> {
  /** The database's name prefix (createTestDatabase). */
  dbPrefix: string;
  /** How the fake upstream answers (default: its own default answer). */
  respond?: Responder;
  /** Seeds the database if need be and starts the gateways; stops what it started if it fails. */
  start: (upstreamUrl: string, db: TestDatabase) => Promise<G>;
}

/** The database tests' set-up: gateways (one or several) sharing one fresh database, all sent to one fake upstream. */
export async function startOnDatabase<G extends Gateways>(opts: DatabaseSetupOptions<G>): Promise<DatabaseSetup<G>> {
  const up = await startUpstream(opts.respond);
  let db: TestDatabase;
  try {
    db = await createTestDatabase(opts.dbPrefix);
  } catch (err) {
    return failedStart(err, () => up.close());
  }
  let gateways: G;
  try {
    gateways = await opts.start(up.url, db);
  } catch (err) {
    return failedStart(
      err,
      () => up.close(),
      () => db.drop(),
    );
  }
  return {
    ...gateways,
    up,
    db,
    close: () =>
      inOrder(
        () => gateways.close(),
        () => up.close(),
        () => db.drop(),
      ),
  };
}

/**
 * Runs every step in order, each even when one before it failed (a gateway that fails to close must not leave its
 * database behind); rejects with the first failure.
 */
async function inOrder(...steps: (() => Promise<void>)[]): Promise<void> {
  const failures: unknown[] = [];
  for (const step of steps) await step().catch((err: unknown) => void failures.push(err));
  if (failures.length > 0) throw failures[0];
}

/** Undoes a start that failed half-way, then rejects with the start's own error: that is what the test must show. */
async function failedStart(err: unknown, ...undo: (() => Promise<void>)[]): Promise<never> {
  await inOrder(...undo).catch(() => undefined);
  throw err;
}

/** Two processes of the production build, A and B, on one config and env (e.g. one DATABASE_URL). */
export async function spawnPair(yaml: string, env: Record<string, string | undefined>): Promise<Pair<SpawnedGateway>> {
  const args = ['--config', writeConfig(yaml)];
  const a = await spawnGateway(args, env);
  let b: SpawnedGateway;
  try {
    b = await spawnGateway(args, env);
  } catch (err) {
    await a.stop('SIGKILL');
    throw err;
  }
  // SIGKILL: a test that wants the graceful stop (spend flushed) stops them itself first.
  return { a, b, close: async () => void (await Promise.all([a.stop('SIGKILL'), b.stop('SIGKILL')])) };
}
