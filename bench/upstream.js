'use strict';
// A precomputed OpenAI/Azure-compatible upstream for the benchmark: plain node:http, answers from buffers built
// once, so it is never the bottleneck. Usage: node bench/upstream.js <port>; prints "ready <port>".
const http = require('node:http');

const chat = Buffer.from(
  JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created: 1700000000,
    model: 'gpt-bench',
    choices: [
      { index: 0, message: { role: 'assistant', content: 'Hello from the bench upstream.' }, finish_reason: 'stop' },
    ],
    usage: { prompt_tokens: 12, completion_tokens: 8, total_tokens: 20 },
  }),
);
const embedding = Buffer.from(
  JSON.stringify({
    object: 'list',
    data: [{ object: 'embedding', index: 0, embedding: Array.from({ length: 64 }, (_, i) => i / 64) }],
    model: 'emb',
    usage: { prompt_tokens: 4, total_tokens: 4 },
  }),
);
const chunk = (content, extra = {}) =>
  `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1700000000, model: 'gpt-bench', choices: content === null ? [] : [{ index: 0, delta: { content }, finish_reason: null }], ...extra })}\n\n`;
const stream = Buffer.from(
  ['Hello', ' from', ' the', ' bench', ' upstream', '.'].map((w) => chunk(w)).join('') +
    chunk(null, { usage: { prompt_tokens: 12, completion_tokens: 6, total_tokens: 18 } }) +
    'data: [DONE]\n\n',
);

const server = http.createServer((req, res) => {
  const parts = [];
  req.on('data', (c) => parts.push(c));
  req.on('end', () => {
    const body = Buffer.concat(parts);
    if (req.url.includes('/embeddings')) {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': embedding.length });
      return res.end(embedding);
    }
    // The only per-request work: is it a streaming call? (a byte search, no JSON parse)
    if (body.includes('"stream":true')) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      return res.end(stream);
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': chat.length });
    res.end(chat);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.argv[2] || 0), '127.0.0.1', () => console.log(`ready ${server.address().port}`));
process.on('SIGTERM', () => process.exit(0));
