import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Body,
  Controller,
  ForbiddenException,
  Header,
  Param,
  Post,
  Req,
  Res,
  UseGuards,
  UseInterceptors,
  type Type,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DirectRoute, directRoutes, isDirectHandler, type RouteGuard } from '../../src/common/http/direct-routes';

@Controller('v2')
class Models {
  calls: unknown[][] = [];

  @DirectRoute()
  @Post(['a/:name/run', 'b'])
  run(@Param('name') name: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): string {
    this.calls.push([name, req, reply]);
    return 'ran';
  }

  @Post('not-direct')
  other(@Res() reply: FastifyReply): void {
    void reply;
  }
}

/** A guard that records what it was asked and answers `answer`. */
function guard(answer: boolean | Promise<boolean>): RouteGuard & { asked: unknown[][] } {
  const asked: unknown[][] = [];
  return { asked, check: (req, handler, controller) => (asked.push([req, handler, controller]), answer) };
}

const request = (params: Record<string, string>) => ({ params }) as unknown as FastifyRequest;
function reply(): FastifyReply & { notFound: number } {
  const r = { notFound: 0, callNotFound: () => r.notFound++ };
  return r as unknown as FastifyReply & { notFound: number };
}

describe('direct routes', () => {
  it('finds each marked method under each of its paths, and calls it with @Param, @Req and @Res after the guard', () => {
    const instance = new Models();
    const g = guard(true);
    const routes = directRoutes([instance], g);
    assert.deepEqual([...routes.keys()], ['POST /v2/a/:name/run', 'POST /v2/b']);
    const handler = routes.get('POST /v2/a/:name/run')!;
    assert.ok(isDirectHandler(handler));
    assert.ok(!isDirectHandler(() => undefined));
    const req = request({ name: 'gpt' });
    const res = reply();
    assert.equal(handler(req, res), 'ran');
    assert.deepEqual(instance.calls, [['gpt', req, res]]);
    assert.deepEqual(
      g.asked,
      [[req, Models.prototype.run, Models]],
      'the guard sees the handler and controller its @Public() check reads',
    );
  });

  it('calls nothing when the guard throws, and answers 403 when it resolves to false, as Nest does', async () => {
    const instance = new Models();
    const refusing: RouteGuard = {
      check: () => {
        throw new Error('no credential');
      },
    };
    assert.throws(() => directRoutes([instance], refusing).get('POST /v2/b')!(request({}), reply()), /no credential/);
    await assert.rejects(
      Promise.resolve(directRoutes([instance], guard(Promise.resolve(false))).get('POST /v2/b')!(request({}), reply())),
      ForbiddenException,
    );
    assert.equal(
      await directRoutes([instance], guard(Promise.resolve(true))).get('POST /v2/b')!(request({}), reply()),
      'ran',
    );
    assert.equal(instance.calls.length, 1, 'only the allowed call reached the method');
  });

  it("answers 404 for an empty path parameter before the guard runs, as Nest's Fastify adapter does", () => {
    const instance = new Models();
    const g = guard(true);
    const res = reply();
    assert.equal(directRoutes([instance], g).get('POST /v2/a/:name/run')!(request({ name: '' }), res), undefined);
    assert.equal(res.notFound, 1);
    assert.equal(g.asked.length, 0);
    assert.equal(instance.calls.length, 0);
  });

  it('refuses at start-up a marked method that Nest would do more for', () => {
    const cases: [string, Type][] = [];
    @Controller()
    class WithBody {
      @DirectRoute()
      @Post('x')
      m(@Body() body: unknown, @Res() reply: FastifyReply) {
        return [body, reply];
      }
    }
    cases.push(['is not @Req(), @Res() or @Param', WithBody]);
    @Controller()
    class WithGuard {
      @DirectRoute()
      @UseGuards(class {})
      @Post('x')
      m(@Res() reply: FastifyReply) {
        return reply;
      }
    }
    cases.push(['__guards__', WithGuard]);
    @Controller()
    @UseInterceptors(class {})
    class WithInterceptor {
      @DirectRoute()
      @Post('x')
      m(@Res() reply: FastifyReply) {
        return reply;
      }
    }
    cases.push(['__interceptors__', WithInterceptor]);
    @Controller()
    class WithHeader {
      @DirectRoute()
      @Header('x-a', '1')
      @Post('x')
      m(@Res() reply: FastifyReply) {
        return reply;
      }
    }
    cases.push(['__headers__', WithHeader]);
    @Controller()
    class WithoutReply {
      @DirectRoute()
      @Post('x')
      m(@Req() req: FastifyRequest) {
        return req;
      }
    }
    cases.push(['does not take @Res()', WithoutReply]);
    for (const [message, C] of cases)
      assert.throws(
        () => directRoutes([new C()], guard(true)),
        (err: Error) => err.message.includes(message),
        C.name,
      );
  });
});
