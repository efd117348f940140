import type * as Undici from 'undici';

/**
 * The parts of undici the gateway uses, loaded from their own files instead of undici's index, which loads all of
 * undici (fetch, WebSocket, EventSource, the cache and mock layers, every dispatcher): heap and resident memory
 * for code that never runs here (performance.md). undici declares no `exports` map, so these paths are public
 * to `require`; the lockfile pins the version, and a unit test checks they are the very objects the index exports.
 */
/* eslint-disable @typescript-eslint/no-require-imports, @typescript-eslint/no-unsafe-assignment -- see above */
export const Pool: typeof Undici.Pool = require('undici/lib/dispatcher/pool');
export type Pool = Undici.Pool;
export const errors: typeof Undici.errors = require('undici/lib/core/errors');
