import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import OpenAI, { toFile } from 'openai';
import { spawnGateway, writeConfig, type SpawnedGateway } from '../support/gateway';
import { createTestDatabase } from '../support/postgres';

const MASTER = 'sk-test-master-key-upload-mem-1';
const FILE_BYTES = 512 * 1024 * 1024;
/**
 * Buffers freed by the garbage collector are counted in the peak until it runs; V8 lets tens of megabytes of them
 * pile up first, whatever the upload's size. A body held whole would add the file's size.
 */
const MAX_GROWTH = FILE_BYTES / 4;

/** Peak resident memory of a process so far, in bytes (Linux). */
function peakRss(pid: number): number {
  const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(kb, 'no VmHWM in /proc/<pid>/status');
  return Number(kb[1]) * 1024;
}

/**
 * A large audio upload through the production build: the gateway's peak memory must stay far below the file's size,
 * whether the file comes before the model field (the openai client's order: read ahead to a temp file) or after it
 * (streamed to the upstream as it arrives). The upstream here counts the bytes and keeps only the start of the body.
 */
describe('proxy: a large multipart upload is streamed, not held in memory', () => {
  let gw: SpawnedGateway;
  let upstream: Server;
  let db: { url: string; drop: () => Promise<void> };
  const received: { bytes: number; head: string }[] = [];

  before(async () => {
    upstream = createServer((req, res) => {
      let bytes = 0;
      let head = '';
      req.on('data', (c: Buffer) => {
        if (head.length < 4096) head += c.toString('latin1', 0, Math.min(c.length, 4096));
        bytes += c.length;
      });
      req.on('end', () => {
        received.push({ bytes, head });
        const body = JSON.stringify({ text: `heard ${bytes} bytes` });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      });
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const port = (upstream.address() as AddressInfo).port;
    db = await createTestDatabase('gw_upload_mem');
    const file = writeConfig(`
model_list:
  - model_name: stt
    litellm_params: { model: openai/gpt-4o-transcribe, api_base: "http://127.0.0.1:${port}/v1", api_key: sk-up-1234 }
general_settings:
  master_key: ${MASTER}
  max_request_size_mb: 600
`);
    gw = await spawnGateway(['--config', file], { DATABASE_URL: db.url });
  });
  after(async () => {
    await gw?.stop('SIGKILL');
    await new Promise<void>((r) => (upstream ? upstream.close(() => r()) : r()));
    await db?.drop();
  });

  // One copy of the file for both calls (a Blob's parts are shared, not copied, by File and FormData).
  const audio = new Blob([Buffer.alloc(FILE_BYTES, 0x5a)], { type: 'audio/wav' });

  it('model field first: streamed to the upstream as it arrives; the gateway peak grows far less than the file', async (t) => {
    const form = new FormData();
    form.append('model', 'stt');
    form.append('file', audio, 'long.wav');
    const before = peakRss(gw.proc.pid!);
    const r = await fetch(`${gw.url}/v1/audio/transcriptions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}` },
      body: form,
    });
    assert.equal(r.status, 200);
    const growth = peakRss(gw.proc.pid!) - before;
    const got = received[received.length - 1];
    assert.equal(((await r.json()) as { text: string }).text, `heard ${got.bytes} bytes`);
    assert.ok(got.bytes > FILE_BYTES);
    t.diagnostic(`gateway peak memory growth: ${growth} bytes`);
    assert.ok(growth < MAX_GROWTH, `gateway peak memory grew by ${growth} bytes for a ${FILE_BYTES}-byte upload`);
  });

  it('file before the model field (the openai client): read ahead to a temp file, then sent on; the same', async (t) => {
    const client = new OpenAI({ apiKey: MASTER, baseURL: `${gw.url}/v1`, maxRetries: 0, timeout: 120_000 });
    const before = peakRss(gw.proc.pid!);
    const res = await client.audio.transcriptions.create({
      file: await toFile(audio, 'long.wav', { type: 'audio/wav' }),
      model: 'stt',
    });
    const growth = peakRss(gw.proc.pid!) - before;
    const got = received[received.length - 1];
    assert.ok(got.bytes > FILE_BYTES, `upstream got ${got.bytes} bytes`);
    assert.equal(res.text, `heard ${got.bytes} bytes`);
    assert.match(got.head, /^--[^\r]+\r\nContent-Disposition: form-data; name="model"\r\n\r\ngpt-4o-transcribe\r\n/);
    t.diagnostic(`gateway peak memory growth: ${growth} bytes`);
    assert.ok(growth < MAX_GROWTH, `gateway peak memory grew by ${growth} bytes for a ${FILE_BYTES}-byte upload`);
  });
});
