/** A configuration problem that stops the start; its message is the one line printed. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly keyPath: string,
    readonly problem: string,
  ) {
    super(`config error: ${source}${keyPath ? `: ${keyPath}` : ''}: ${problem}`);
    this.name = 'ConfigError';
  }
}
