import { setFlagsFromString } from 'node:v8';

/**
 * V8 settings for the production process, applied before anything compiles WebAssembly. The gateway runs two large
 * WebAssembly modules off the request path: Prisma's query compiler (key management, spend writes) and, for the
 * embedded store, PGlite. By default V8 compiles each twice, a quick Liftoff build and then an optimised TurboFan
 * build of every hot function; the second build and its compile-time memory stay resident, ~65 MB for Prisma's
 * compiler and ~80 MB more with PGlite (measured with `npm run bench` and /proc smaps). Liftoff code is slower but
 * runs only for management calls and the once-a-second spend flush, so the model-call path does not notice.
 */
setFlagsFromString('--liftoff-only');
