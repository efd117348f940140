/** The little SQL surface the migration runner and health checks need, over pg or PGlite. */
export interface SqlExecutor {
  /** One parameterised statement. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** A whole multi-statement script, simple protocol (one implicit transaction). */
  exec(script: string): Promise<void>;
}
