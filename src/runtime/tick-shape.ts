import { executionAsyncResource } from 'node:async_hooks';

/** The held tick object. Read by nothing: it only has to stay reachable. */
let _held: object | undefined;

/**
 * Keeps `process.nextTick` on its fast path for the life of the process.
 *
 * Every `process.nextTick` call builds a small "tick object" with an object literal whose keys are two symbols, so
 * V8 gives it a shape (hidden class) through a chain of map transitions from the shared object-literal map. V8 holds
 * such transitions weakly: when a full (mark-compact) GC finds no live object of that shape (tick objects live for
 * microseconds, so at a GC there usually is none), it drops the shapes, and the next tick object gets new ones. After
 * a few such GCs the inline cache of `nextTick`'s literal turns megamorphic for good, and every tick object is built
 * in the V8 runtime instead of by optimised code. Node's HTTP and stream internals call nextTick several times per
 * proxied request, so that slow path is paid on every call (docs/performance.md tells how it shows in a profile).
 *
 * Holding one tick object for good keeps its shape, and through the shape's back pointers the whole transition chain,
 * alive: the shapes are never dropped, the cache stays monomorphic. Call once, first thing in the process (an inline
 * cache that has turned megamorphic never turns back).
 */
export function holdTickObjectShape(): void {
  process.nextTick(() => {
    _held = executionAsyncResource();
  });
}
