import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Caller } from '../../auth/caller';
import { Errors } from '../../common/errors/gateway-error';
import type { Prisma } from '../../generated/prisma/client';
import { actorOf } from '../actor';
import { pick } from '../access/limit-fields';
import { ObjectChanges } from '../access/object-changes.service';
import { readsAll, requireAdmin } from '../access/object-access';
import { firstResetAt } from '../budget/budget-period';
import { UniqueViolation } from '../db-errors';
import type { NewBudgetRequest, UpdateBudgetRequest } from './budget-requests.dto';
import { budgetSettings, toBudgetView } from './budget-view';
import { KeysService } from '../keys.service';
import { BudgetInUse, BudgetsRepository, type BudgetChanges } from './budgets.repository';

type View = Record<string, unknown>;

/** The `/budget/*` routes: LiteLLM's budget objects, with an audit row per change. Admins change, viewers read. */
@Injectable()
export class BudgetsService {
  constructor(
    private readonly repo: BudgetsRepository,
    private readonly changes: ObjectChanges,
    private readonly keys: KeysService,
  ) {}

  async create(req: NewBudgetRequest, caller: Caller): Promise<View> {
    requireAdmin(caller, 'create budgets');
    const budgetId = req.budget_id ?? randomUUID();
    const data: Prisma.BudgetUncheckedCreateInput = {
      ...(columns(req) as Prisma.BudgetUncheckedCreateInput),
      budgetId,
      createdBy: '',
      updatedBy: '',
    };
    // LiteLLM: without budget_reset_at, the first period ends one budget_duration from now.
    if (req.budget_reset_at == null) data.budgetResetAt = firstResetAt(req.budget_duration);
    const row = await this.repo.create(data, actorOf(caller), pick(req, Object.keys(req))).catch((err: unknown) => {
      if (err instanceof UniqueViolation)
        throw Errors.badRequest(`Budget with id '${budgetId}' already exists.`, 'budget_id', 'budget_exists');
      throw err;
    });
    return toBudgetView(row);
  }

  async update(req: UpdateBudgetRequest, caller: Caller): Promise<View> {
    requireAdmin(caller, 'change budgets');
    const { budget_id: budgetId, ...fields } = req;
    const res = await this.repo.update(
      budgetId,
      (current) => {
        const c = columns(fields);
        // A new duration starts a new period now (unless the request says when it ends), as on every object.
        if (fields.budget_duration !== undefined && fields.budget_reset_at === undefined)
          c.budgetResetAt =
            current.budgetDuration === fields.budget_duration
              ? current.budgetResetAt
              : firstResetAt(fields.budget_duration);
        return c;
      },
      actorOf(caller),
      pick(fields, Object.keys(fields)),
    );
    if (!res) throw notFound(budgetId);
    await this.keys.budgetChanged(res.holders.keys);
    await this.changes.changed('end_user', res.holders.endUsers);
    await this.changes.changed('team', res.holders.teams);
    return toBudgetView(res.row);
  }

  async info(budgetIds: string[], caller: Caller): Promise<View[]> {
    mayRead(caller);
    if (budgetIds.length === 0)
      throw Errors.badRequest(
        `Specify list of budget id's to query. Passed in=${JSON.stringify(budgetIds)}`,
        'budgets',
        'missing_budgets',
      );
    return (await this.repo.findMany(budgetIds)).map(toBudgetView);
  }

  async settings(budgetId: string, caller: Caller): Promise<View[]> {
    mayRead(caller);
    return budgetSettings(await this.repo.find(budgetId));
  }

  async list(caller: Caller): Promise<View[]> {
    mayRead(caller);
    return (await this.repo.list()).map(toBudgetView);
  }

  async delete(budgetId: string, caller: Caller): Promise<View> {
    requireAdmin(caller, 'delete budgets');
    const row = await this.repo.delete(budgetId, actorOf(caller)).catch((err: unknown) => {
      if (err instanceof BudgetInUse)
        throw Errors.badRequest(
          `Budget ${budgetId} is in use (${err.keys} keys, ${err.endUsers} end users, ${err.teams} teams' members take it); move them to another budget first`,
          'id',
          'budget_in_use',
        );
      throw err;
    });
    if (!row) throw notFound(budgetId);
    return toBudgetView(row);
  }
}

/** The budget columns of a request (the fields given; absent ones untouched). */
function columns(f: Omit<UpdateBudgetRequest, 'budget_id'>): BudgetChanges & { budgetResetAt?: Date | null } {
  const c: BudgetChanges & { budgetResetAt?: Date | null } = {};
  if (f.max_budget !== undefined) c.maxBudget = f.max_budget;
  if (f.soft_budget !== undefined) c.softBudget = f.soft_budget;
  if (f.max_parallel_requests !== undefined) c.maxParallelRequests = f.max_parallel_requests;
  if (f.tpm_limit !== undefined) c.tpmLimit = f.tpm_limit;
  if (f.rpm_limit !== undefined) c.rpmLimit = f.rpm_limit;
  if (f.budget_duration !== undefined) c.budgetDuration = f.budget_duration;
  if (f.model_max_budget !== undefined)
    c.modelMaxBudget = (f.model_max_budget ?? null) as Prisma.InputJsonValue | typeof Prisma.DbNull;
  if (f.budget_reset_at !== undefined)
    c.budgetResetAt = f.budget_reset_at === null ? null : new Date(f.budget_reset_at);
  return c;
}

function mayRead(caller: Caller): void {
  if (!readsAll(caller)) throw Errors.forbidden('Only a proxy admin or viewer may read budgets', 'admin_only');
}

function notFound(budgetId: string) {
  return Errors.notFound(`Budget not found: ${budgetId}`, 'budget_not_found', 'budget_id');
}
