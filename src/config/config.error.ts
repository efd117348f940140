/** One problem of a config: where (file, key path) and what. */
export interface ConfigProblem {
  readonly source: string;
  readonly keyPath: string;
  readonly problem: string;
}

/**
 * A configuration that stops the start. Its message is one line per problem, every problem of the file at once
 * (a user fixes them in one go rather than one per restart); `source`/`keyPath`/`problem` are the first one's.
 */
export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];

  constructor(
    readonly source: string,
    readonly keyPath: string,
    readonly problem: string,
    more: readonly ConfigProblem[] = [],
  ) {
    const all = [{ source, keyPath, problem }, ...more];
    super(all.map(line).join('\n'));
    this.name = 'ConfigError';
    this.problems = all;
  }

  /** Throws the problems collected, if any. */
  static throwIfAny(problems: readonly ConfigProblem[]): void {
    if (problems.length === 0) return;
    const [first, ...more] = problems;
    throw new ConfigError(first.source, first.keyPath, first.problem, more);
  }
}

function line(p: ConfigProblem): string {
  return `config error: ${p.source}${p.keyPath ? `: ${p.keyPath}` : ''}: ${p.problem}`;
}
