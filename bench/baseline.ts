// The benchmark's baseline: the least a NestJS-Fastify forwarder can do — take the JSON body, send it to the
// upstream with an undici keep-alive pool, return the answer (streams piped through). No auth, no routing, no
// accounting. The gateway is measured against this. Usage: node dist-bench/bench/baseline.js <port> <upstreamUrl>
import 'reflect-metadata';
import { Body, Controller, Module, Post, Req, Res } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Pool } from 'undici';

const [, , portArg, upstream] = process.argv;
const pool = new Pool(upstream, { connections: 256, pipelining: 1, keepAliveTimeout: 60_000 });

@Controller()
class ForwardController {
  @Post(['chat/completions', 'v1/chat/completions'])
  async chat(@Body() body: Record<string, unknown>, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const res = await pool.request({
      method: 'POST',
      path: '/chat/completions',
      headers: { 'content-type': 'application/json', authorization: 'Bearer upstream' },
      body: JSON.stringify(body),
    });
    if (body.stream === true) {
      reply.hijack();
      reply.raw.writeHead(res.statusCode, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      for await (const chunk of res.body) reply.raw.write(chunk);
      reply.raw.end();
      return;
    }
    const text = await res.body.text();
    void req;
    reply.status(res.statusCode).header('content-type', 'application/json').send(text);
  }
}

@Module({ controllers: [ForwardController] })
class BaselineModule {}

async function main() {
  const app = await NestFactory.create<NestFastifyApplication>(BaselineModule, new FastifyAdapter({ logger: false }), {
    logger: false,
  });
  await app.listen(Number(portArg), '127.0.0.1');
  console.log(`ready ${portArg}`);
  // exit cleanly on SIGTERM, so that `--cpu-prof` writes its profile when profiling the baseline
  process.once('SIGTERM', () => process.exit(0));
}
void main();
