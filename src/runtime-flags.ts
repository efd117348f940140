import { setFlagsFromString } from 'node:v8';
import { holdTickObjectShape } from './runtime/tick-shape';

/**
 * V8 settings for the production process, applied before anything compiles WebAssembly.
 *
 * Three WebAssembly modules run in the gateway's processes: undici's HTTP parser (llhttp, on every upstream answer),
 * Prisma's query compiler (key management, the once-a-second spend flush) and PGlite, in the embedded store's own
 * process (database/embedded-server.ts, which applies these settings first too). V8 runs new
 * WebAssembly code with its baseline compiler (Liftoff) and re-compiles a function with TurboFan once it has run a
 * "tiering budget" of work. Prisma's compiler and PGlite do a burst of work when they start, which sent hundreds of
 * their functions through TurboFan at once; that build and its compile memory stayed resident: ~65 MB for Prisma's
 * compiler, ~80 MB more with PGlite (measured with /proc smaps and `npm run bench`). A budget ~5.5 x the default keeps
 * start-up bursts on Liftoff, while llhttp, which runs on every call, still reaches TurboFan within seconds of load.
 * (`--liftoff-only` saves the same memory but leaves llhttp unoptimised: a few per cent of CPU per call.) PGlite's
 * start, a longer burst, is kept off TurboFan altogether (runtime/wasm-tiering.ts).
 */
setFlagsFromString('--wasm-tiering-budget=10000000');

/**
 * How far the old generation may grow past what survived the last full GC before the next one: 1.5 x. Under load
 * the gateway promotes the objects of in-flight calls (they outlive two scavenges) at ~20 MB/s, and V8's default
 * factor on a cheap-to-collect heap (~40 MB live) is up to 4 x: at 128 connections the embedded gateway's RSS
 * swung between ~200 and ~325 MB with the full GCs, native memory held by dead Buffers included. At 1.5 x its peaks
 * stayed within ~200-210 MB; the price is a ~10 ms full GC about once a second at full load instead of every ~5 s.
 */
setFlagsFromString('--heap-growing-percent=50');

// Before any full GC can drop the tick object's shape (see tick-shape.ts).
holdTickObjectShape();
