import { Controller, Get, Global, HttpCode, Module, Post, Req } from '@nestjs/common';
import { APP_FILTER, NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import { AuthModule } from '../../src/auth/auth.module';
import { Public } from '../../src/auth/decorators/public.decorator';
import { ROUTE_GROUPS } from '../../src/auth/route-groups';
import { OpenAIExceptionFilter } from '../../src/common/errors/openai-exception.filter';
import { loadGatewayConfig } from '../../src/config/config.loader';
import { GatewayConfigModule } from '../../src/config/config.module';
import type { GatewayConfig } from '../../src/config/gateway-config';
import { ACCESS_DIRECTORY, type AccessDirectory } from '../../src/keys/access/access-directory';
import { KEY_LOOKUP, type KeyLookup } from '../../src/auth/key-lookup';
import type { KeyRecord } from '../../src/keys/key-record';
import { createLogger } from '../../src/logging/logger';
import { LoggingModule } from '../../src/logging/logging.module';
import { LogCapture, ROOT, writeConfig } from './gateway';

/**
 * A small Nest-Fastify app with the real AuthModule (global guard, strategies, JWKS store) in front of a probe
 * controller that answers every route of the route-group table (plus /spend/logs, in no group) with the caller
 * it saw, and counts the calls that got through. Virtual keys come from an in-memory KeyLookup the test fills
 * (the keys module's real cache is exercised by the full-app tests).
 */
const toNest = (p: string) => p.slice(1).replace(/\{(\w+)\}/g, ':$1');
const PUBLIC_PATHS = ROUTE_GROUPS.public_routes.map(toNest);
const PROTECTED_PATHS = [
  ...new Set(
    [...ROUTE_GROUPS.openai_routes, ...ROUTE_GROUPS.info_routes, ...ROUTE_GROUPS.management_routes, '/spend/logs'].map(
      toNest,
    ),
  ),
];

export class ProbeState {
  calls = 0;
  readonly keys = new Map<string, KeyRecord>();
}

@Controller()
class ProbeController {
  constructor(private readonly state: ProbeState) {}

  @Public()
  @Get(PUBLIC_PATHS)
  open() {
    return { ok: true };
  }

  @Get(PROTECTED_PATHS)
  get(@Req() req: FastifyRequest) {
    this.state.calls++;
    return { caller: req.caller ?? null };
  }

  @Post(PROTECTED_PATHS)
  @HttpCode(200)
  post(@Req() req: FastifyRequest) {
    this.state.calls++;
    return { caller: req.caller ?? null };
  }
}

export interface Probe {
  url: string;
  app: NestFastifyApplication;
  config: GatewayConfig;
  logs: LogCapture;
  state: ProbeState;
  /** Registers a virtual key record under the SHA-256 hex of its secret. */
  addKey(record: KeyRecord): void;
  close(): Promise<void>;
}

export async function startProbe(yaml: string, env: Record<string, string | undefined> = {}): Promise<Probe> {
  const config = loadGatewayConfig({ argv: ['--config', writeConfig(yaml)], env: { ...env, PORT: '0' }, cwd: ROOT });
  const logs = new LogCapture();
  const log = createLogger({ level: env.LOG_LEVEL ?? 'debug', secrets: config.secrets }, logs);
  const state = new ProbeState();
  const lookup: KeyLookup = {
    findByHash: async (hash) => state.keys.get(hash) ?? null,
    get: (hash) => state.keys.get(hash),
  };

  @Global()
  @Module({
    providers: [
      { provide: ProbeState, useValue: state },
      { provide: KEY_LOOKUP, useValue: lookup },
      // Every team and user counts as stored: the probe checks authentication, not the team store.
      { provide: ACCESS_DIRECTORY, useValue: everyoneKnown },
    ],
    exports: [ProbeState, KEY_LOOKUP, ACCESS_DIRECTORY],
  })
  class ProbeSupportModule {}

  @Module({
    imports: [GatewayConfigModule.forRoot(config), LoggingModule.forRoot(log), ProbeSupportModule, AuthModule],
    controllers: [ProbeController],
    providers: [{ provide: APP_FILTER, useClass: OpenAIExceptionFilter }],
  })
  class ProbeAppModule {}

  const app = await NestFactory.create<NestFastifyApplication>(ProbeAppModule, new FastifyAdapter(), {
    logger: false,
    abortOnError: false,
  });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    config,
    logs,
    state,
    addKey: (record) => state.keys.set(record.token, record),
    close: () => app.close(),
  };
}

const everyoneKnown: AccessDirectory = {
  hasTeam: () => true,
  hasUser: () => true,
  userRoleOf: () => undefined,
  usersVersion: 0,
  upsertTeam: () => Promise.resolve(),
  upsertUser: () => Promise.resolve(),
};

/** A KeyRecord with defaults, for the probe's in-memory lookup. */
export function keyRecord(token: string, fields: Partial<KeyRecord> = {}): KeyRecord {
  return {
    token,
    keyName: 'sk-...test',
    keyAlias: null,
    models: [],
    allowedRoutes: [],
    expires: null,
    maxBudget: null,
    spend: 0,
    rpmLimit: null,
    tpmLimit: null,
    maxParallelRequests: null,
    teamId: null,
    userId: null,
    blocked: false,
    metadata: {},
    ...fields,
  };
}

/** fetch() with a credential (or none) against the probe or the gateway; resolves status and parsed body. */
export async function call(
  base: string,
  path: string,
  credential?: string | { header: string; value: string },
  method: 'GET' | 'POST' = 'GET',
): Promise<{
  status: number;
  body: { caller?: Record<string, unknown> | null; error?: { message: string; type: string; code: string } };
}> {
  const headers: Record<string, string> = {};
  if (typeof credential === 'string') headers.authorization = `Bearer ${credential}`;
  else if (credential) headers[credential.header] = credential.value;
  if (method === 'POST') headers['content-type'] = 'application/json';
  const res = await fetch(base + path, {
    method,
    headers,
    body: method === 'POST' ? '{}' : undefined,
    signal: AbortSignal.timeout(20_000),
  });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text);
  } catch {
    body = { raw: text };
  }
  return { status: res.status, body };
}
