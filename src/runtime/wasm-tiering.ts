import { setFlagsFromString } from 'node:v8';

/** A function index no WebAssembly module reaches: while set as the tier-up filter, no function compiled gets tier-up checks. */
const NO_FUNCTION = 2_147_483_647;

/**
 * Runs `start` with WebAssembly tier-up off for the functions compiled meanwhile.
 *
 * The embedded store (PGlite: PostgreSQL compiled to WebAssembly) runs a burst of work when it opens and migrates:
 * enough to send many of its functions through TurboFan even with runtime-flags.ts's larger tiering budget, and
 * that optimised code stays resident. V8 decides whether a function may tier up when it compiles the function with
 * Liftoff (`--wasm-tier-up-filter`, read per function), so the functions PGlite compiles during start-up stay on
 * Liftoff for good, while everything compiled afterwards (undici's HTTP parser on the first upstream call, PGlite
 * code first used later) tiers up as usual.
 */
export async function withoutWasmTierUp<T>(start: () => Promise<T>): Promise<T> {
  setFlagsFromString(`--wasm-tier-up-filter=${NO_FUNCTION}`);
  try {
    return await start();
  } finally {
    setFlagsFromString('--wasm-tier-up-filter=-1');
  }
}
