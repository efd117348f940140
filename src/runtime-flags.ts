import { setFlagsFromString } from 'node:v8';
import { holdTickObjectShape } from './runtime/tick-shape';

/**
 * V8 settings for the production process, applied before anything compiles WebAssembly.
 *
 * Three WebAssembly modules run in the gateway's processes: undici's HTTP parser (llhttp, on every upstream answer),
 * Prisma's query compiler (key management, the once-a-second spend flush) and PGlite, in the embedded store's own
 * process (database/embedded-server.ts, which applies these settings first too). V8 runs new
 * WebAssembly code with its baseline compiler (Liftoff) and re-compiles a function with TurboFan once it has run a
 * "tiering budget" of work. Prisma's compiler and PGlite do a burst of work when they start, which would send hundreds
 * of their functions through TurboFan at once, and that build and its compile memory stay resident. A larger budget
 * keeps start-up bursts on Liftoff, while llhttp, which runs on every call, still reaches TurboFan soon after load
 * (`--liftoff-only` would save the same memory but leave llhttp unoptimised). PGlite's functions tier up under the
 * same budget: their optimised code is the store process's memory, and every call's spend-log row runs through
 * them. The measurements: docs/performance.md.
 */
setFlagsFromString('--wasm-tiering-budget=10000000');

/**
 * How far the old generation may grow past what survived the last full GC before the next one: 1.5 x. Under load
 * the gateway promotes the objects of in-flight calls (they outlive two scavenges) steadily, and V8's default factor
 * on a small, cheap-to-collect heap lets it grow several times over between full GCs, so resident memory (with the
 * native memory dead Buffers hold) swings widely. A lower factor keeps the peaks close to the live size, at the
 * price of more frequent short full GCs under load.
 */
setFlagsFromString('--heap-growing-percent=50');

// Before any full GC can drop the tick object's shape (see tick-shape.ts).
holdTickObjectShape();
