import { Global, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { KEY_LOOKUP } from '../auth/key-lookup';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import { APP_LOGGER } from '../logging/logger';
import { CALL_ACCOUNTING } from '../proxy/call-accounting';
import { AccountingService } from './accounting/accounting.service';
import { ACCESS_DIRECTORY, JwtAccessDirectory } from './access/access-directory';
import { AccessObjects } from './access/access-objects.service';
import { ObjectChanges } from './access/object-changes.service';
import { ObjectsRepository } from './access/objects.repository';
import { JwtTeams } from './access/jwt-teams';
import { TeamMembersRepository } from './access/team-members.repository';
import { SoftBudgetCrossings } from './access/soft-budget-crossings';
import { MirrorTeamBudgets } from './access/team-budgets';
import { TEAM_BUDGETS } from '../metrics/budget-source';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import { BudgetsController } from './budgets/budgets.controller';
import { BudgetsRepository } from './budgets/budgets.repository';
import { BudgetsService } from './budgets/budgets.service';
import { KeyViews } from './key-views.service';
import { CustomersController } from './customers/customers.controller';
import { CustomersRepository } from './customers/customers.repository';
import { CustomersService } from './customers/customers.service';
import { TeamsController } from './teams/teams.controller';
import { MemberUsersRepository } from './teams/member-users.repository';
import { TeamsRepository } from './teams/teams.repository';
import { TeamsService } from './teams/teams.service';
import { MemberBudgetsRepository } from './teams/member-budgets.repository';
import { TeamMemberBudgets } from './teams/team-member-budgets.service';
import { UsersController } from './users/users.controller';
import { UsersRepository } from './users/users.repository';
import { UsersService } from './users/users.service';
import { KeyEventsService } from './invalidation/key-events.service';
import { KeyCache } from './key-cache.service';
import { KeyStore } from './cache/key-store';
import { KeyInfoV2Controller } from './key-info-v2.controller';
import { KeysController } from './keys.controller';
import { KeysRepository } from './keys.repository';
import { KeysService } from './keys.service';
import { LIMITER } from './limits/limiter';
import { LimiterLifecycle, createLimiter } from './limits/limiter.factory';
import { redisNamespace } from './redis/redis-namespace';
import { DatabaseService } from '../database/database.service';
import { KeysRedis } from './redis/keys-redis.service';
import { SpendWriter } from './spend/spend-writer.service';
import { UnpricedBudgetCheck } from './spend/unpriced-budget-check';

/**
 * The access model: virtual keys, teams, users and end users with their management routes, the cached lookups the
 * auth guard uses (KEY_LOOKUP, ACCESS_DIRECTORY), and the per-call enforcement and spend accounting the proxy
 * uses (CALL_ACCOUNTING). Global so auth and proxy can inject both.
 */
@Global()
@Module({
  controllers: [
    KeysController,
    KeyInfoV2Controller,
    TeamsController,
    UsersController,
    CustomersController,
    BudgetsController,
  ],
  providers: [
    KeysRepository,
    KeyStore,
    KeysRedis,
    KeyEventsService,
    SpendWriter,
    KeyCache,
    KeysService,
    AccountingService,
    ObjectsRepository,
    TeamMembersRepository,
    SoftBudgetCrossings,
    AccessObjects,
    ObjectChanges,
    TeamsRepository,
    MemberUsersRepository,
    MemberBudgetsRepository,
    TeamMemberBudgets,
    TeamsService,
    UsersRepository,
    UsersService,
    CustomersRepository,
    CustomersService,
    BudgetsRepository,
    BudgetsService,
    KeyViews,
    JwtAccessDirectory,
    JwtTeams,
    { provide: ACCESS_DIRECTORY, useExisting: JwtAccessDirectory },
    MirrorTeamBudgets,
    { provide: TEAM_BUDGETS, useExisting: MirrorTeamBudgets },
    {
      provide: LIMITER,
      inject: [GATEWAY_CONFIG, KeysRedis, KeyEventsService, APP_LOGGER, GatewayMetrics, DatabaseService],
      useFactory: async (
        config: GatewayConfig,
        redis: KeysRedis,
        events: KeyEventsService,
        log: Logger,
        metrics: GatewayMetrics,
        db: DatabaseService,
      ) => createLimiter(config, redis, events.instanceId, log, metrics, redis.client ? await redisNamespace(db) : ''),
    },
    LimiterLifecycle,
    UnpricedBudgetCheck,
    { provide: KEY_LOOKUP, useExisting: KeyCache },
    { provide: CALL_ACCOUNTING, useExisting: AccountingService },
  ],
  exports: [KEY_LOOKUP, CALL_ACCOUNTING, ACCESS_DIRECTORY, AccessObjects, TEAM_BUDGETS],
})
export class KeysModule {}
