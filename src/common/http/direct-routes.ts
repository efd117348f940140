import { ForbiddenException, RequestMethod, type Type } from '@nestjs/common';
import {
  CUSTOM_ROUTE_ARGS_METADATA,
  EXCEPTION_FILTERS_METADATA,
  GUARDS_METADATA,
  HEADERS_METADATA,
  HTTP_CODE_METADATA,
  INTERCEPTORS_METADATA,
  METHOD_METADATA,
  PATH_METADATA,
  PIPES_METADATA,
  REDIRECT_METADATA,
  RENDER_METADATA,
  ROUTE_ARGS_METADATA,
  SSE_METADATA,
  VERSION_METADATA,
} from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** The app-wide guard as a direct route calls it: what its `canActivate` decides, from the request and the handler. */
export interface RouteGuard {
  check(req: FastifyRequest, handler: Function, controller: Type): boolean | Promise<boolean>;
}

export type DirectHandler = (req: FastifyRequest, reply: FastifyReply) => unknown;

const DIRECT = Symbol('direct route');
const handlers = new WeakSet<Function>();

/**
 * Marks a controller method that Fastify may call through a direct route (the model-call routes): Nest's
 * per-request pipeline around it (execution context, guards consumer, parameter pipes, interceptors, response
 * mapping: several promises and an allocation per step) has nothing to do for a handler that takes the request,
 * the reply and path parameters and writes its own answer. The route is still declared, guarded and answered in
 * errors as every other: see `directRoutes`.
 */
export function DirectRoute(): MethodDecorator {
  return (_target, _key, descriptor) => {
    Reflect.defineMetadata(DIRECT, true, descriptor.value as object);
  };
}

/** Whether `handler` is a direct route's (for the route table test). */
export function isDirectHandler(handler: unknown): boolean {
  return typeof handler === 'function' && handlers.has(handler);
}

/**
 * The direct routes of `controllers` (Nest's instances), by "METHOD /path" as Nest declares them to Fastify (an
 * onRoute hook in pipeline.ts puts each in place of Nest's handler as Nest declares the route). Each
 * one does what Nest's pipeline did for it: the guard (the same app-wide instance, with the handler and controller
 * its @Public() check reads), a 404 for an empty path parameter (Nest's Fastify adapter), then the method with its
 * @Req(), @Res() and @Param() arguments. A thrown or rejected error goes to Fastify's error handler, which is Nest's
 * (the global exception filter). A method whose route carries anything else Nest would apply (guards, pipes,
 * interceptors or filters of its own, @Body() and other arguments, @HttpCode(), @Header(), versions...) is refused at
 * start-up, so that nothing is silently skipped.
 */
export function directRoutes(controllers: readonly object[], guard: RouteGuard): Map<string, DirectHandler> {
  const routes = new Map<string, DirectHandler>();
  for (const instance of controllers) {
    const controller = instance.constructor as Type;
    const proto = controller.prototype as Record<string, Function>;
    for (const name of Object.getOwnPropertyNames(proto)) {
      const method = proto[name];
      if (name === 'constructor' || typeof method !== 'function' || !Reflect.getMetadata(DIRECT, method)) continue;
      const where = `${controller.name}.${name}`;
      refuseNestFeatures(where, controller, method);
      const args = argumentsOf(where, controller, name);
      for (const path of routePaths(controller, method)) {
        const key = `${RequestMethod[Reflect.getMetadata(METHOD_METADATA, method) as RequestMethod]} ${path}`;
        routes.set(key, directHandler(instance, controller, method, args, path.includes(':'), guard));
      }
    }
  }
  return routes;
}

/** An argument: the request, the reply, or a named path parameter. */
type Arg =
  | { kind: RouteParamtypes.REQUEST }
  | { kind: RouteParamtypes.RESPONSE }
  | { kind: RouteParamtypes.PARAM; name: string };

function directHandler(
  instance: object,
  controller: Type,
  method: Function,
  args: readonly Arg[],
  hasParams: boolean,
  guard: RouteGuard,
): DirectHandler {
  const run = (req: FastifyRequest, reply: FastifyReply): unknown => {
    const params = req.params as Record<string, string>;
    const values = args.map((a) =>
      a.kind === RouteParamtypes.REQUEST ? req : a.kind === RouteParamtypes.RESPONSE ? reply : params[a.name],
    );
    return method.apply(instance, values);
  };
  const handler: DirectHandler = (req, reply) => {
    if (hasParams) {
      const params = req.params as Record<string, string>;
      for (const name in params) {
        if (params[name] === '' && name !== '*') {
          reply.callNotFound();
          return undefined;
        }
      }
    }
    const allowed = guard.check(req, method, controller);
    if (allowed === true) return run(req, reply);
    return Promise.resolve(allowed).then((ok) => {
      if (!ok) throw new ForbiddenException('Forbidden resource'); // what Nest answers for a guard's false
      return run(req, reply);
    });
  };
  handlers.add(handler);
  return handler;
}

function refuseNestFeatures(where: string, controller: Type, method: Function): void {
  const own = [GUARDS_METADATA, INTERCEPTORS_METADATA, PIPES_METADATA, EXCEPTION_FILTERS_METADATA];
  for (const key of own) {
    const of = (target: object) => (Reflect.getMetadata(key, target) as unknown[] | undefined) ?? [];
    const set = [...of(controller), ...of(method)];
    if (set.length) throw new Error(`${where} is a direct route but has ${key} of its own: Nest would apply them`);
  }
  for (const key of [
    HTTP_CODE_METADATA,
    HEADERS_METADATA,
    REDIRECT_METADATA,
    RENDER_METADATA,
    SSE_METADATA,
    VERSION_METADATA,
  ]) {
    if (
      Reflect.getMetadata(key, method) !== undefined ||
      (key === VERSION_METADATA && Reflect.getMetadata(key, controller) !== undefined)
    ) {
      throw new Error(`${where} is a direct route but has ${key}: Nest would apply it`);
    }
  }
}

function argumentsOf(where: string, controller: Type, name: string): Arg[] {
  if (Reflect.getMetadata(CUSTOM_ROUTE_ARGS_METADATA, controller, name))
    throw new Error(`${where} is a direct route but has custom parameter decorators`);
  const meta = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, name) ?? {}) as Record<
    string,
    { index: number; data?: unknown; pipes?: unknown[] }
  >;
  const args: Arg[] = [];
  for (const [key, { index, data, pipes }] of Object.entries(meta)) {
    const kind = Number(key.split(':')[0]) as RouteParamtypes;
    if (pipes?.length) throw new Error(`${where} is a direct route but its argument ${index} has pipes`);
    if (kind === RouteParamtypes.REQUEST || kind === RouteParamtypes.RESPONSE) args[index] = { kind };
    else if (kind === RouteParamtypes.PARAM && typeof data === 'string') args[index] = { kind, name: data };
    else throw new Error(`${where} is a direct route but its argument ${index} is not @Req(), @Res() or @Param(name)`);
  }
  for (let i = 0; i < args.length; i++)
    if (args[i] === undefined) throw new Error(`${where} is a direct route with an undecorated argument ${i}`);
  if (!args.some((a) => a.kind === RouteParamtypes.RESPONSE)) {
    throw new Error(`${where} is a direct route but does not take @Res(): it must write its own answer`);
  }
  return args;
}

/** The method's paths as Nest declares them to Fastify (no global prefix in this app): controller path + route path. */
function routePaths(controller: Type, method: Function): string[] {
  const list = (v: unknown): string[] => (Array.isArray(v) ? v : [v ?? '/']).map(String);
  const out: string[] = [];
  for (const base of list(Reflect.getMetadata(PATH_METADATA, controller))) {
    for (const route of list(Reflect.getMetadata(PATH_METADATA, method))) {
      out.push(
        `/${[base, route]
          .map((p) => p.replace(/^\/+|\/+$/g, ''))
          .filter(Boolean)
          .join('/')}`,
      );
    }
  }
  return out;
}
