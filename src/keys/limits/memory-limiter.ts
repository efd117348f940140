import { budgetError, countsAt, limitError, type LimitScope, type LimitTicket, type Limiter } from './limiter';
import { MinuteWindow } from './minute-window';

interface ScopeState {
  readonly rpm: MinuteWindow;
  readonly tpm: MinuteWindow;
  inFlight: number;
  /** Cost reserved by calls in flight, against the scope's budget. */
  reserved: number;
}

const SWEEP_MS = 60_000;

/**
 * Limits kept in this process: exact for a single instance (or per instance when several run without Redis). A call
 * is admitted while what is spent plus what calls in flight reserved is below the budget, and while the tokens of the
 * last minute (reservations included) are below the tpm limit: at most one call's reservation beyond either.
 */
export class MemoryLimiter implements Limiter {
  private readonly states = new Map<string, ScopeState>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly now: () => number = Date.now) {
    this.sweeper = setInterval(() => this.sweep(), SWEEP_MS);
    this.sweeper.unref();
  }

  acquire(scopes: readonly LimitScope[], tokens = 0, cost = 0): LimitTicket {
    const now = this.now();
    const states = scopes.map((s) => this.state(s.id));
    // The windows' counts before this call, per scope (requests, tokens; -1 without that limit): for answer headers.
    const seen: number[] = [];
    for (let i = 0; i < scopes.length; i++) {
      const s = scopes[i];
      const st = states[i];
      const budget = s.budget;
      if (budget != null && (s.spent ?? 0) + st.reserved >= budget) throw budgetError(s, s.spent ?? 0, st.reserved);
      if (s.parallel !== null && st.inFlight >= s.parallel) throw limitError(s, 'parallel', 1000);
      const requests = s.rpm !== null ? st.rpm.total(now) : -1;
      if (s.rpm !== null && requests >= s.rpm) throw limitError(s, 'rpm', st.rpm.msUntilBelow(now, s.rpm));
      const tokens = s.tpm !== null ? st.tpm.total(now) : -1;
      if (s.tpm !== null && tokens >= s.tpm) throw limitError(s, 'tpm', st.tpm.msUntilBelow(now, s.tpm));
      seen.push(requests, tokens);
    }
    for (let i = 0; i < scopes.length; i++) {
      const s = scopes[i];
      const st = states[i];
      if (s.rpm !== null) st.rpm.add(now, 1);
      if (s.tpm !== null && tokens > 0) st.tpm.add(now, tokens);
      if (s.budget != null) st.reserved += cost;
      st.inFlight++; // counted for every scope, so the sweeper never drops a state a call still holds
    }
    let released = false;
    return {
      seen: (id: string) => countsAt(scopes, seen, id),
      release: (used: number) => {
        if (released) return;
        released = true;
        const at = this.now();
        for (let i = 0; i < scopes.length; i++) {
          const s = scopes[i];
          const st = states[i];
          st.inFlight--;
          if (s.budget != null) st.reserved = st.inFlight === 0 ? 0 : Math.max(0, st.reserved - cost);
          if (s.tpm === null) continue;
          // The reservation becomes the real count where it was made; a call older than the window counts now.
          if (tokens > 0 && st.tpm.adjust(now, at, used - tokens)) continue;
          if (used > 0) st.tpm.add(at, used);
        }
      },
    };
  }

  close(): void {
    clearInterval(this.sweeper);
  }

  private state(id: string): ScopeState {
    let st = this.states.get(id);
    if (!st) {
      st = { rpm: new MinuteWindow(), tpm: new MinuteWindow(), inFlight: 0, reserved: 0 };
      this.states.set(id, st);
    }
    return st;
  }

  /** Drops idle scopes so memory follows the keys in use, not every key ever seen. */
  private sweep(): void {
    const now = this.now();
    for (const [id, st] of this.states)
      if (st.inFlight === 0 && st.rpm.isEmpty(now) && st.tpm.isEmpty(now)) this.states.delete(id);
  }
}
