import { Inject, Injectable } from '@nestjs/common';
import type { Caller } from '../../auth/caller';
import { Errors, type GatewayError } from '../../common/errors/gateway-error';
import { GATEWAY_CONFIG, type GatewayConfig } from '../../config/gateway-config';
import { actorOf } from '../actor';
import { AccessObjects } from './access-objects.service';
import { JwtAccessDirectory } from './access-directory';

/** The refusal of a JWT whose team is not stored while `team_id_upsert` is off. */
export function teamNotFound(teamId: string): GatewayError {
  return Errors.forbidden(
    `Team ${JSON.stringify(teamId)} of this JWT does not exist (team_id_upsert is off: an admin creates it with /team/new)`,
    'team_not_found',
  );
}

/**
 * A JWT caller's team, checked on every call and not only when its token was verified: the verified token is
 * cached until its `exp`, and the team may be deleted meanwhile. LiteLLM looks a JWT's team up on each call
 * (`get_team_object` with `team_id_upsert`): a team no longer stored is created again, with defaults, by the
 * same path as on first use when `team_id_upsert` is on, and refused when it is off. So here: the upsert of first
 * use (audited `team.upsert`, no limits until an admin sets them), or 403 `team_not_found`; a call never runs as
 * a team that does not exist, outside every team limit.
 */
@Injectable()
export class JwtTeams {
  private readonly upsert: boolean;
  /** Upserts under way, so a burst of calls of a deleted team creates it once. */
  private readonly pending = new Map<string, Promise<void>>();

  constructor(
    private readonly objects: AccessObjects,
    private readonly directory: JwtAccessDirectory,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
  ) {
    this.upsert = config.jwt.teamIdUpsert;
  }

  /** Whether a team missing from the store may be used (it will be created again). */
  get upserts(): boolean {
    return this.upsert;
  }

  /**
   * Undefined when the team is stored (or the store was never read: nothing is known yet); otherwise throws
   * `team_not_found`, or answers a promise that settles once the team is stored again.
   */
  missing(caller: Caller, teamId: string): Promise<void> | undefined {
    if (!this.objects.ready || this.objects.hasTeam(teamId)) return undefined;
    if (!this.upsert) throw teamNotFound(teamId);
    let p = this.pending.get(teamId);
    if (!p) {
      p = this.directory.upsertTeam(teamId, actorOf(caller)).finally(() => this.pending.delete(teamId));
      this.pending.set(teamId, p);
    }
    return p;
  }
}
