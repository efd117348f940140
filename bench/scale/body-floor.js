'use strict';
// The bodies axis's floor as a server: it reads a request's body, parses it (JSON.parse, what any server that looks
// inside the body does) and writes the same bytes once to the upstream through undici (as the gateway does), then
// answers with the upstream's answer. Nothing else: no auth, no limits, no logs. Usage: node body-floor.js <port> <upstream>.
const http = require('node:http');
const { Pool } = require('undici');

const [port, upstream] = process.argv.slice(2);
const pool = new Pool(upstream, { connections: 64 });

http
  .createServer((req, res) => {
    const parts = [];
    req.on('data', (c) => parts.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(parts);
      JSON.parse(body.toString('utf8'));
      try {
        const r = await pool.request({
          path: '/v1/chat/completions',
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        const answer = Buffer.from(await r.body.arrayBuffer());
        res.writeHead(r.statusCode, { 'content-type': 'application/json' });
        res.end(answer);
      } catch (err) {
        res.writeHead(502);
        res.end(String(err));
      }
    });
  })
  .listen(Number(port), '127.0.0.1', () => console.log('ready'));
