import type { INestApplication, Type } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { z } from 'zod';
import { IS_PUBLIC } from '../auth/decorators/public.decorator';
import { MODEL_CALL_BODIES, type Schema } from './model-call-bodies';
import { ROUTE_INPUTS } from './route-schemas';

/** The schemes a caller may present (auth/credentials/credential.ts), in the order the gateway reads them. */
const SECURITY_SCHEMES = {
  bearer: { type: 'http', scheme: 'bearer', description: 'The master key, a virtual key (sk-...) or a JWT' },
  'api-key': { type: 'apiKey', in: 'header', name: 'api-key', description: 'As Azure OpenAI clients send it' },
  'x-litellm-api-key': { type: 'apiKey', in: 'header', name: 'x-litellm-api-key' },
  'x-api-key': { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'As Anthropic clients send it' },
} as const;

const ERROR: Schema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      properties: {
        message: { type: 'string' },
        type: { type: 'string' },
        param: { type: 'string', nullable: true },
        code: { type: 'string', nullable: true },
      },
    },
  },
};

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

interface Operation {
  operationId?: string;
  security?: Record<string, string[]>[];
  parameters?: Record<string, unknown>[];
  requestBody?: unknown;
  responses: Record<string, unknown>;
}

/**
 * The OpenAPI document of `app`: Swagger's scan of the controllers (every route, its path parameters), then what
 * the scan cannot see: the zod schemas the management handlers parse their input with, the model-call bodies,
 * who must authenticate (routes without @Public()), and the OpenAI error shape every route answers errors in.
 */
export function buildOpenApiDocument(app: INestApplication, version: string): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('LLM gateway')
    .setDescription('OpenAI-compatible LLM gateway with LiteLLM-proxy routes. The admin UI is at /ui.')
    .setVersion(version)
    .build();
  const doc = SwaggerModule.createDocument(app, config);
  doc.components = { ...doc.components, securitySchemes: { ...SECURITY_SCHEMES }, schemas: { Error: ERROR } };
  const open = publicOperations(app);
  const security = Object.keys(SECURITY_SCHEMES).map((name) => ({ [name]: [] }));
  for (const item of Object.values(doc.paths)) {
    for (const method of METHODS) {
      const op = (item as Record<string, Operation | undefined>)[method];
      if (!op) continue;
      // Swagger numbers the ids of a handler that serves several paths: `Controller_method[1]`.
      const id = (op.operationId ?? '').replace(/\[\d+\]$/, '');
      describeInput(op, id);
      op.security = open.has(id) ? [] : security;
      op.responses = {
        ...(Object.keys(op.responses).some((c) => c.startsWith('2')) ? {} : { 200: { description: 'Success' } }),
        ...op.responses,
        ...(open.has(id) ? {} : { 401: errorAnswer('No credential or a bad one') }),
        ...(open.has(id) ? {} : { 403: errorAnswer('The caller may not call this route') }),
        400: errorAnswer('Invalid input'),
      };
    }
  }
  return doc;
}

function errorAnswer(description: string) {
  return { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
}

function describeInput(op: Operation, id: string): void {
  const input = ROUTE_INPUTS[id];
  if (input?.body)
    op.requestBody = { required: true, content: { 'application/json': { schema: jsonSchema(input.body) } } };
  if (input?.query) {
    const schema = jsonSchema(input.query) as { properties?: Record<string, Schema>; required?: string[] };
    const named = new Set((op.parameters ?? []).map((p) => p.name));
    for (const [name, property] of Object.entries(schema.properties ?? {})) {
      if (named.has(name)) continue;
      const required = schema.required?.includes(name) ?? false;
      (op.parameters ??= []).push({ name, in: 'query', required, schema: property });
    }
  }
  const call = MODEL_CALL_BODIES[id];
  if (call) {
    const type = call.multipart ? 'multipart/form-data' : 'application/json';
    op.requestBody = { required: true, content: { [type]: { schema: call.schema } } };
  }
}

/** A zod schema as OpenAPI's JSON Schema: the input side (what a client sends), checks zod cannot say left out. */
function jsonSchema(schema: z.ZodType): Schema {
  const out = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'openapi-3.0' }) as Schema;
  delete out.$schema;
  return out;
}

/** Operation ids (`Controller_method`, Swagger's default) of the handlers marked @Public(). */
function publicOperations(app: INestApplication): Set<string> {
  const ids = new Set<string>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as Type | null;
      if (!controller) continue;
      const proto = controller.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(proto)) {
        const handler = proto[name];
        if (typeof handler !== 'function' || Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
        const flag: unknown = Reflect.getMetadata(IS_PUBLIC, handler) ?? Reflect.getMetadata(IS_PUBLIC, controller);
        if (flag === true) ids.add(`${controller.name}_${name}`);
      }
    }
  }
  return ids;
}
