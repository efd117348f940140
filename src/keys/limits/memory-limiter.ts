import { budgetError, limitError, type LimitScope, type LimitTicket, type Limiter } from './limiter';
import { MinuteWindow, slotOf } from './minute-window';

class ScopeState {
  readonly rpm = new MinuteWindow();
  readonly tpm = new MinuteWindow();
  inFlight = 0;
  /** Cost reserved by calls in flight, against the scope's budget. */
  reserved = 0;
  /** Swept: no longer the scope's state, so an owner's slot holding it looks the scope up again. */
  dropped = false;

  constructor(readonly limiter: MemoryLimiter) {}
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

  acquire(scopes: readonly LimitScope[], tokens = 0, cost = 0, nowMs?: number): LimitTicket {
    const now = nowMs ?? this.now();
    // The second and its slot, worked out once for every window of the call.
    const sec = Math.floor(now / 1000);
    const slot = slotOf(sec);
    const n = scopes.length;
    const states: ScopeState[] = new Array<ScopeState>(n);
    for (let i = 0; i < n; i++) {
      const s = scopes[i];
      const st = (states[i] = this.stateOf(s));
      const budget = s.budget;
      if (budget != null && (s.spent ?? 0) + st.reserved >= budget) throw budgetError(s, s.spent ?? 0, st.reserved);
      if (s.parallel !== null && st.inFlight >= s.parallel) throw limitError(s, 'parallel', 1000);
      if (s.rpm !== null && st.rpm.totalAt(sec) >= s.rpm) throw limitError(s, 'rpm', st.rpm.msUntilBelow(now, s.rpm));
      if (s.tpm !== null && st.tpm.totalAt(sec) >= s.tpm) throw limitError(s, 'tpm', st.tpm.msUntilBelow(now, s.tpm));
    }
    for (let i = 0; i < n; i++) {
      const s = scopes[i];
      const st = states[i];
      if (s.rpm !== null) st.rpm.addAt(sec, slot, 1);
      if (s.tpm !== null && tokens > 0) st.tpm.addAt(sec, slot, tokens);
      if (s.budget != null) st.reserved += cost;
      st.inFlight++; // counted for every scope, so the sweeper never drops a state a call still holds
    }
    return new MemoryTicket(this.now, scopes, states, sec, slot, tokens, cost);
  }

  close(): void {
    clearInterval(this.sweeper);
  }

  /** The scope's state: the one its owner's slot holds while it is this limiter's and not swept, else by its id. */
  private stateOf(s: LimitScope): ScopeState {
    const slot = s.slot;
    if (slot === undefined) return this.state(s.id);
    const held = slot.limitState as ScopeState | undefined;
    if (held !== undefined && held.limiter === this && !held.dropped) return held;
    const st = this.state(s.id);
    slot.limitState = st;
    return st;
  }

  private state(id: string): ScopeState {
    let st = this.states.get(id);
    if (!st) {
      st = new ScopeState(this);
      this.states.set(id, st);
    }
    return st;
  }

  /** Drops idle scopes so memory follows the keys in use, not every key ever seen. */
  private sweep(): void {
    const now = this.now();
    for (const [id, st] of this.states)
      if (st.inFlight === 0 && st.rpm.isEmpty(now) && st.tpm.isEmpty(now)) {
        st.dropped = true;
        this.states.delete(id);
      }
  }
}

/** A call admitted by a MemoryLimiter: `release` settles what it counted at second `sec` (slot `slot`), once. */
class MemoryTicket implements LimitTicket {
  private released = false;

  constructor(
    private readonly now: () => number,
    private readonly scopes: readonly LimitScope[],
    private readonly states: readonly ScopeState[],
    private readonly sec: number,
    private readonly slot: number,
    private readonly tokens: number,
    private readonly cost: number,
  ) {}

  release(used: number): void {
    if (this.released) return;
    this.released = true;
    const at = this.now();
    const atSec = Math.floor(at / 1000);
    const { scopes, states, tokens, cost } = this;
    for (let i = 0; i < scopes.length; i++) {
      const s = scopes[i];
      const st = states[i];
      st.inFlight--;
      if (s.budget != null) st.reserved = st.inFlight === 0 ? 0 : Math.max(0, st.reserved - cost);
      if (s.tpm === null) continue;
      // The reservation becomes the real count where it was made; a call older than the window counts now.
      if (tokens > 0 && st.tpm.adjustAt(this.sec, this.slot, atSec, used - tokens)) continue;
      if (used > 0) st.tpm.addAt(atSec, slotOf(atSec), used);
    }
  }
}
