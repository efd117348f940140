import type { CallCredentials } from '../provider';
import { clientCredentialsFetcher, EntraTokenSource, type EntraRegistration as Registration } from './entra-token';

/**
 * The headers of an Azure deployment authenticated by an Entra ID app registration: the fixed headers plus
 * `Authorization: Bearer <token>`, one headers object per token (not per call).
 */
export class EntraCredentials implements CallCredentials {
  private readonly source: EntraTokenSource;
  private token = '';
  private headers: Readonly<Record<string, string>> = {};

  constructor(
    private readonly base: Readonly<Record<string, string>>,
    registration: Registration,
  ) {
    this.source = new EntraTokenSource(clientCredentialsFetcher(registration));
  }

  now(): Readonly<Record<string, string>> | null {
    const token = this.source.peek();
    return token === null ? null : this.with(token);
  }

  async fresh(): Promise<Readonly<Record<string, string>>> {
    return this.with(await this.source.get());
  }

  private with(token: string): Readonly<Record<string, string>> {
    if (token !== this.token) {
      this.token = token;
      this.headers = { ...this.base, authorization: `Bearer ${token}` };
    }
    return this.headers;
  }
}
