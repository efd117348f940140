import { Controller, Get, Header, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AnyCaller } from '../auth/decorators/any-caller.decorator';
import { Public } from '../auth/decorators/public.decorator';
import { ROUTE_GROUPS } from '../auth/route-groups';
import { callerOf } from '../keys/access/caller-of';
import { UiOidcService, type UiOidcView } from './ui-oidc.service';

/** The routes the UI shows or hides controls for (those with a path parameter have a plain form beside them). */
const UI_ROUTES: readonly string[] = [
  ...ROUTE_GROUPS.info_routes,
  ...ROUTE_GROUPS.management_routes,
  ...ROUTE_GROUPS.spend_tracking_routes,
].filter((r, i, all) => !r.includes('{') && all.indexOf(r) === i);

/** What the admin UI asks the gateway besides the API it manages: how to sign in, and who it signed in as. */
@Controller('ui')
export class UiApiController {
  constructor(private readonly oidc: UiOidcService) {}

  /** Public facts for the sign-in page: the OpenID provider's endpoints and the UI's public client (no secret). */
  @Public()
  @Get('config.json')
  @Header('cache-control', 'no-store')
  async config(): Promise<{ oidc: UiOidcView | null }> {
    return { oidc: await this.oidc.current() };
  }

  /**
   * The signed-in caller as the gateway sees it, and which management routes its policy lets through, so the page
   * hides what the API would refuse (a handler may still refuse, e.g. another team's key: the page shows that).
   */
  @AnyCaller()
  @Get('session')
  @Header('cache-control', 'no-store')
  session(@Req() req: FastifyRequest) {
    const caller = callerOf(req);
    // Set with the caller by the guard, which has already checked the credential.
    const policy = req.routePolicy!;
    return {
      role: caller.role,
      via: caller.via,
      team_id: caller.teamId ?? null,
      team_ids: caller.teamIds ?? null,
      user_id: caller.userId ?? null,
      routes: UI_ROUTES.filter((r) => policy.allows(r)),
    };
  }
}
