/**
 * A failure at start whose message says what failed and where, in one line without any secret (the database
 * refusing the password, a port in use). main.ts prints it alone; Nest's exception handler does not log it again.
 */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}
