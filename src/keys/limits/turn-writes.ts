import type Redis from 'ioredis';

/**
 * Holds a Redis connection's writes until the end of the event-loop turn (setImmediate runs after the turn's I/O
 * callbacks), so the commands of every call that turn admitted or released leave in one system call and their
 * replies come back together. Under load a socket write costs the gateway more than the script it sends; calls
 * arriving in the same turn share it, and a call alone waits no longer than the turn it is in.
 */
export class TurnWrites {
  private holding = false;

  constructor(private readonly redis: Redis) {}

  /** Call before sending a command. */
  hold(): void {
    if (this.holding) return;
    const stream = this.redis.stream;
    // Before the connection is ready ioredis queues commands itself (or refuses them): nothing to hold.
    if (this.redis.status !== 'ready' || stream === undefined) return;
    this.holding = true;
    stream.cork();
    setImmediate(() => {
      this.holding = false;
      stream.uncork();
    });
  }
}
