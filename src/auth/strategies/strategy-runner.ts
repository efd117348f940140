import type { Strategy } from 'passport';
import type { AuthResult } from '../auth-result';

/** The Passport strategy outcomes the guard tells apart. */
export class StrategyFailure extends Error {
  constructor(
    /** What the strategy passed to `fail()`: usually an Error saying why. */
    readonly challenge: unknown,
  ) {
    super(
      challenge instanceof Error
        ? challenge.message
        : typeof challenge === 'string'
          ? challenge
          : 'authentication failed',
    );
    this.name = 'StrategyFailure';
  }
}

interface Settle {
  resolve(result: AuthResult): void;
  reject(err: unknown): void;
}

const OPTIONS = Object.freeze({ session: false });

/**
 * Runs one Passport strategy for one request, the way `passport.authenticate()` does (a per-request delegate
 * whose prototype is the strategy, given success/fail/error/pass/redirect), minus what only session-based apps
 * need: it does not add login/logout methods to the request, and it does not look the strategy up by name in
 * passport's process-wide registry (several gateways in one process, as in the tests, each keep their own).
 * The action methods live on one prototype per strategy, so a run allocates only the delegate and the promise.
 */
export class StrategyRunner {
  private readonly proto: object;

  constructor(strategy: Strategy) {
    this.proto = <object>Object.create(strategy, {
      success: {
        value: function (this: Settle, user: AuthResult) {
          this.resolve(user);
        },
      },
      fail: {
        value: function (this: Settle, challenge?: unknown) {
          this.reject(new StrategyFailure(challenge));
        },
      },
      error: {
        value: function (this: Settle, err: unknown) {
          this.reject(err);
        },
      },
      pass: {
        value: function (this: Settle) {
          this.reject(new StrategyFailure('no credential'));
        },
      },
      redirect: {
        value: function (this: Settle) {
          this.reject(new StrategyFailure('redirect is not supported'));
        },
      },
    });
  }

  run(req: unknown): Promise<AuthResult> {
    return new Promise<AuthResult>((resolve, reject) => {
      const delegate = Object.create(this.proto) as Settle & { authenticate(req: unknown, options: object): void };
      delegate.resolve = resolve;
      delegate.reject = reject;
      delegate.authenticate(req, OPTIONS);
    });
  }
}
