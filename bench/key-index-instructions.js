#!/usr/bin/env node
'use strict';
// What the key index costs, counted by callgrind over the built modules alone (no gateway, no database): instructions
// per row of a bulk load (KeyIndex.feed over COPY rows in 64 KB chunks) and per first use of a key (index.row +
// index.parse, the token a fresh string as a request's hashed credential is). Each is counted on the main thread, in
// a process of its own, after a warm-up on another index, so the code counted is optimised.
// Usage: node bench/key-index-instructions.js [--keys 100000] [--uses 20000] [--dist DIR]. Needs valgrind.
const { execFileSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const { mkdtempSync, readFileSync, readdirSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join, resolve } = require('node:path');

const args = process.argv.slice(2);
const opt = (name, def) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : def);
const KEYS = Number(opt('keys', 100_000));
const USES = Number(opt('uses', 20_000));
const DIST = resolve(opt('dist', join(__dirname, '..', 'dist')));
const PHASE = process.env.KEY_INDEX_PHASE;

/** A token as the gateway stores them: hex SHA-256 of a secret. */
const token = (i, salt) => createHash('sha256').update(`sk-${salt}-${i}`).digest('hex');

/** COPY's binary rows of keys without limits or metadata (key-tuple.ts's columns), header and end mark included. */
function copyBytes(tokens) {
  const int = (n, bytes) => {
    const b = Buffer.alloc(bytes);
    if (bytes === 2) b.writeInt16BE(n);
    else b.writeInt32BE(n);
    return b;
  };
  const text = (s) => [int(Buffer.byteLength(s), 4), Buffer.from(s)];
  const float8 = (v) => {
    const b = Buffer.alloc(8);
    b.writeDoubleBE(v);
    return [int(8, 4), b];
  };
  const nulls = (n) => Array.from({ length: n }, () => int(-1, 4));
  const parts = [Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)];
  for (const t of tokens) {
    parts.push(int(19, 2), ...text(t), ...text(`sk-...${t.slice(-4)}`), ...nulls(5), ...float8(1.5));
    parts.push(...nulls(6), int(1, 4), Buffer.from([0]), ...nulls(3), ...float8(7));
  }
  parts.push(int(-1, 2));
  return Buffer.concat(parts);
}

function measured() {
  const { KeyIndex } = require(join(DIST, 'keys', 'cache', 'key-index.js'));
  const feed = (index, bytes) => {
    for (let i = 0; i < bytes.length; i += 65_536) index.feed(bytes.subarray(i, i + 65_536));
  };
  const use = (index, tokens) => tokens.reduce((sum, t) => sum + index.parse(index.row(t), t).spend, 0);
  const ctl = (on) => execFileSync('callgrind_control', ['-i', on, String(process.pid)], { stdio: 'ignore' });
  const warmTokens = Array.from({ length: KEYS }, (_, i) => token(i, 'warm'));
  const warm = new KeyIndex();
  feed(warm, copyBytes(warmTokens));
  for (let k = 0; k < 5; k++) use(warm, warmTokens.slice(k * 10_000, (k + 1) * 10_000));
  const bytes = copyBytes(Array.from({ length: KEYS }, (_, i) => token(i, 'cold')));
  const uses = Array.from({ length: USES }, (_, i) => token((i * 7919) % KEYS, 'cold'));
  const index = new KeyIndex();
  if (PHASE === 'load') ctl('on');
  feed(index, bytes);
  if (PHASE === 'load') ctl('off');
  if (PHASE === 'use') ctl('on');
  const spend = use(index, uses);
  if (PHASE === 'use') ctl('off');
  if (spend !== 1.5 * USES) throw new Error(`a key was not found (${spend})`);
}

function count(phase) {
  const work = mkdtempSync(join(tmpdir(), 'gw-key-index-'));
  const out = join(work, 'cg');
  const cg = ['--tool=callgrind', '--instr-atstart=no', '--separate-threads=yes', `--callgrind-out-file=${out}`];
  execFileSync('valgrind', [...cg, process.execPath, __filename, ...args], {
    env: { ...process.env, KEY_INDEX_PHASE: phase },
    stdio: 'ignore',
  });
  const main = readdirSync(work).find((f) => f.endsWith('-01'));
  return Number(/^totals: (\d+)/m.exec(readFileSync(join(work, main), 'utf8'))[1]);
}

if (PHASE) measured();
else {
  console.log(`${DIST}: ${KEYS} keys`);
  console.log(`bulk load: ${Math.round(count('load') / KEYS)} instructions per row`);
  console.log(`first use (row + parse): ${Math.round(count('use') / USES)} instructions per key`);
}
