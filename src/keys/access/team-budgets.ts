import { Injectable } from '@nestjs/common';
import type { TeamBudget, TeamBudgets } from '../../metrics/budget-source';
import { AccessObjects } from './access-objects.service';

/** Team and user budgets for the metrics (TEAM_BUDGETS), from the in-memory mirror: spend of the current period. */
@Injectable()
export class MirrorTeamBudgets implements TeamBudgets {
  constructor(private readonly objects: AccessObjects) {}

  budgetOf(teamId: string): TeamBudget | undefined {
    const t = this.objects.get('team', teamId);
    return t ? { alias: t.alias, maxBudget: t.maxBudget, spend: t.spendAt(Date.now()) } : undefined;
  }

  teamAlias(teamId: string): string | null {
    return this.objects.get('team', teamId)?.alias ?? null;
  }

  userBudgetOf(userId: string): TeamBudget | undefined {
    const u = this.objects.get('user', userId);
    return u ? { alias: u.alias, maxBudget: u.maxBudget, spend: u.spendAt(Date.now()) } : undefined;
  }
}
