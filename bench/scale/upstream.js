'use strict';
// The scale bench's upstream: plain node:http, answers built once per shape. The body's model picks the answer:
// `chunks-N` streams N content chunks (built once per N), `slow-N` streams N chunks 200 ms apart, anything else the
// whole answer (or a short stream). Bodies of any size are read and thrown away. Usage: node upstream.js <port>.
const http = require('node:http');

const usage = { prompt_tokens: 12, completion_tokens: 8, total_tokens: 20 };
const whole = Buffer.from(
  JSON.stringify({
    id: 'chatcmpl-scale',
    object: 'chat.completion',
    created: 1700000000,
    model: 'gpt-scale',
    choices: [
      { index: 0, message: { role: 'assistant', content: 'Hello from the scale upstream.' }, finish_reason: 'stop' },
    ],
    usage,
  }),
);
const chunk = (content, extra = {}) =>
  `data: ${JSON.stringify({ id: 'chatcmpl-scale', object: 'chat.completion.chunk', created: 1700000000, model: 'gpt-scale', choices: content === null ? [] : [{ index: 0, delta: { content }, finish_reason: null }], ...extra })}\n\n`;
const tail = chunk(null, { usage }) + 'data: [DONE]\n\n';
const streams = new Map();
const streamOf = (n) => {
  let s = streams.get(n);
  if (!s) {
    s = Buffer.from(Array.from({ length: n }, (_, i) => chunk(`w${i % 10} `)).join('') + tail);
    streams.set(n, s);
  }
  return s;
};

const server = http.createServer((req, res) => {
  let head = '';
  req.on('data', (c) => {
    if (head.length < 200) head += c.toString('latin1', 0, 200);
  });
  req.on('end', () => {
    const model = /"model":"([a-z]+)-(\d+)"/.exec(head);
    const streaming = head.includes('"stream":true') || model !== null;
    if (!streaming) {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': whole.length });
      return res.end(whole);
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    if (model && model[1] === 'slow') {
      let left = Number(model[2]);
      const timer = setInterval(() => {
        if (left-- > 0) return void res.write(chunk('slow '));
        clearInterval(timer);
        res.end(tail);
      }, 200);
      res.on('close', () => clearInterval(timer));
      return;
    }
    res.end(streamOf(model ? Number(model[2]) : 6));
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.argv[2] || 0), '127.0.0.1', () => console.log(`ready ${server.address().port}`));
process.on('SIGTERM', () => process.exit(0));
