#!/usr/bin/env node
'use strict';
// What encoding spend log rows costs the thread that does it, apart from the gateway: rows shaped as a virtual key's
// calls (fresh id and request id strings per row, the same caller and deployment) go through `BinaryRows.add` into
// batches of --batch rows, each emptied when full as the writer does. `--mode none` builds the same rows and
// encodes nothing: run both under valgrind (`--tool=callgrind --cache-sim=yes`) and subtract, for the instructions
// and cache misses a row's encoding costs. Options: --dist DIR (dist) --rows N (200000) --batch N (5000)
// --mode encode|none --team (a team, a user and an end user on each row) --ws KB (a working set of that many KiB
// touched between rows, as the rest of a call would).
const { join } = require('node:path');

const args = process.argv.slice(2);
const opt = (name, def) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : def);
const DIST = opt('dist', join(__dirname, '..', 'dist'));
const ROWS = Number(opt('rows', 200_000));
const BATCH = Number(opt('batch', 5000));
const MODE = opt('mode', 'encode');
const TEAM = args.includes('--team');
const WS = Number(opt('ws', 0)) * 1024;
const { BinaryRows } = require(join(DIST, 'spend', 'spend-log-binary.js'));
const { spendRow } = require('./spend-row');

const ws = new Uint8Array(Math.max(WS, 64));
let wsAt = 0;
/** Touches a slice of the working set (one line of 64 bytes in every 16), as a call's own data would. */
function touch() {
  let s = 0;
  for (let i = 0; i < 64; i++) {
    wsAt = (wsAt + 1024) % ws.length;
    s += ws[wsAt]++;
  }
  return s;
}

const apiKey = 'a3f1c9e2'.repeat(8);
const start = Date.UTC(2026, 11, 7, 10);
let sink = 0;
let batch = new BinaryRows();
for (let i = 0; i < ROWS; i++) {
  const t = start + i * 3;
  const row = spendRow('abcdef012345' + i.toString(36), 'a1b2c3-' + (i + 7).toString(36), apiKey, TEAM, t, t + 2);
  if (WS) sink += touch();
  if (MODE === 'encode') {
    batch.add(row);
    if (batch.size >= BATCH) {
      for (const c of batch.chunks()) sink += c.length;
      batch.reset();
    }
  } else sink += row.id.length;
}
console.log(`${MODE} ${ROWS} rows, batch ${BATCH}: ${sink > 0 ? 'done' : ''}`);
