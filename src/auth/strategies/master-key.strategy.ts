import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-custom';
import { sha256Hex } from '../../common/crypto/sha256';
import { GATEWAY_CONFIG, type GatewayConfig } from '../../config/gateway-config';
import type { AuthResult } from '../auth-result';
import { digestsEqual } from '../credentials/credential';
import { requestDigest, type CredentialCarrier } from '../credentials/request-credential';
import { RoutePolicies } from '../routes/route-policies';

/** The master key (`general_settings.master_key` / LITELLM_MASTER_KEY): compared by SHA-256 digest in constant time. */
@Injectable()
export class MasterKeyStrategy extends PassportStrategy(Strategy, 'master-key') {
  /** Hex SHA-256 of the master key; the key itself is not kept here. null: no master key configured. */
  readonly masterDigest: string | null;
  private readonly result: AuthResult;

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig, policies: RoutePolicies) {
    super();
    this.masterDigest = config.masterKey ? sha256Hex(config.masterKey) : null;
    this.result = Object.freeze({
      caller: Object.freeze({ role: 'master', via: 'master_key', scopes: Object.freeze([]) }),
      policy: policies.master,
    });
  }

  validate(req: CredentialCarrier): AuthResult | false {
    const digest = requestDigest(req);
    return this.masterDigest !== null && digest !== null && digestsEqual(digest, this.masterDigest)
      ? this.result
      : false;
  }
}
