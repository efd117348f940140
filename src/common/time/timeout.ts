/**
 * `p` raced against a timer: after `ms` the result is what `late()` returns (or throws). The timer is cleared
 * whichever wins, so a settled race leaves nothing that holds the process open.
 */
export async function raceTimer<T>(p: Promise<T>, ms: number, late: () => T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve, reject) => {
    timer = setTimeout(() => {
      try {
        resolve(late());
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    }, ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** `p`, or a rejection `<what> did not answer within <ms> ms` when it takes longer. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return raceTimer(p, ms, () => {
    throw new Error(`${what} did not answer within ${ms} ms`);
  });
}

/** Whether `p` settled within `ms` (for work whose outcome is not needed, only whether it finished in time). */
export async function settledWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  if (ms <= 0) return false;
  return raceTimer(
    p.then(() => true),
    ms,
    () => false,
  );
}
