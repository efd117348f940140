import { Injectable } from '@nestjs/common';
import type { Caller } from '../../auth/caller';
import { Errors } from '../../common/errors/gateway-error';
import type { Prisma } from '../../generated/prisma/client';
import { actorOf } from '../actor';
import { pick, toLimitChanges } from '../access/limit-fields';
import { ObjectChanges } from '../access/object-changes.service';
import { readsAll, requireAdmin } from '../access/object-access';
import { ObjectsRepository } from '../access/objects.repository';
import { UniqueViolation } from '../db-errors';
import { SpendWriter } from '../spend/spend-writer.service';
import {
  BUDGET_LIMIT_FIELDS,
  CUSTOMER_STORED_FIELDS,
  type NewCustomerRequest,
  type UpdateCustomerRequest,
} from './customer-requests.dto';
import { toCustomerView } from './customer-view';
import { UnknownBudget } from '../budgets/budgets.repository';
import { CustomersRepository, type CustomerChanges, type CustomerRow } from './customers.repository';

type View = Record<string, unknown>;

/** The `/customer/*` routes: end users (the `user` field of model calls), with an audit row per change. */
@Injectable()
export class CustomersService {
  constructor(
    private readonly repo: CustomersRepository,
    private readonly objects: ObjectsRepository,
    private readonly changes: ObjectChanges,
    private readonly spend: SpendWriter,
  ) {}

  async create(req: NewCustomerRequest, caller: Caller): Promise<View> {
    requireAdmin(caller, 'create customers');
    if (req.budget_id != null) notBesideBudget(req, req.budget_id);
    const data: Prisma.EndUserUncheckedCreateInput = {
      ...columns(req),
      userId: req.user_id,
      spend: req.spend ?? 0,
      ...(req.budget_reset_at && req.budget_duration ? { budgetResetAt: new Date(req.budget_reset_at) } : {}),
      extra: stored(req),
    };
    const row = await this.repo.create(data, actorOf(caller), pick(req, Object.keys(req))).catch((err: unknown) => {
      if (err instanceof UniqueViolation)
        throw Errors.badRequest(`Customer ${req.user_id} already exists`, 'user_id', 'customer_exists');
      return budgetError(err);
    });
    await this.changes.changed('end_user', [req.user_id]);
    return this.view(row);
  }

  async info(endUserId: string, caller: Caller): Promise<View> {
    if (!readsAll(caller)) throw Errors.forbidden('Only a proxy admin or viewer may read customers', 'admin_only');
    await this.objects.resetDue('end_user', [endUserId]);
    const row = await this.spend.readConsistent(() => this.repo.find(endUserId));
    if (!row) throw notFound(endUserId);
    return this.view(row);
  }

  async update(req: UpdateCustomerRequest, caller: Caller): Promise<View> {
    requireAdmin(caller, 'change customers');
    const { user_id: userId, ...fields } = req;
    const extra = stored(fields);
    const row = await this.repo
      .update(
        userId,
        (current): CustomerChanges => {
          const budgetId = fields.budget_id !== undefined ? fields.budget_id : current.budgetId;
          if (budgetId !== null) notBesideBudget(fields, budgetId);
          return {
            // Leaving a budget leaves its limits too; the request may give the end user its own.
            ...(fields.budget_id === null && current.budgetId !== null ? NO_LIMITS : {}),
            ...columns(fields),
            ...(Object.keys(extra).length > 0 ? { extra: { ...(current.extra as object), ...extra } } : {}),
          };
        },
        actorOf(caller),
        'customer.update',
        pick(fields, Object.keys(fields)),
      )
      .catch(budgetError);
    if (!row) throw notFound(userId);
    await this.changes.changed('end_user', [userId]);
    return this.view(row);
  }

  async setBlocked(userIds: string[], blocked: boolean, caller: Caller): Promise<View> {
    requireAdmin(caller, blocked ? 'block customers' : 'unblock customers');
    await this.repo.setBlocked(userIds, blocked, actorOf(caller));
    await this.changes.changed('end_user', userIds);
    return blocked ? { blocked_users: userIds } : { unblocked_users: userIds };
  }

  async delete(userIds: string[], caller: Caller): Promise<View> {
    requireAdmin(caller, 'delete customers');
    if (!(await this.repo.delete(userIds, actorOf(caller))))
      throw Errors.notFound(
        `Customer not found among ${userIds.join(', ')}; nothing was deleted`,
        'customer_not_found',
        'user_ids',
      );
    await this.changes.deleted('end_user', userIds);
    return { deleted_customers: userIds };
  }

  async list(caller: Caller): Promise<View[]> {
    if (!readsAll(caller)) throw Errors.forbidden('Only a proxy admin or viewer may list customers', 'admin_only');
    let rows = await this.repo.list();
    if (await this.objects.resetEnded('end_user', rows, (r) => r.userId)) rows = await this.repo.list();
    return rows.map((r) => this.view(r));
  }

  private view(row: CustomerRow): View {
    return toCustomerView(row, this.spend.unflushedOf('end_user', row.userId));
  }
}

function columns(
  f: Omit<UpdateCustomerRequest, 'user_id'>,
): CustomerChanges & Omit<Prisma.EndUserUncheckedCreateInput, 'userId'> {
  const c = toLimitChanges(f) as Record<string, unknown>;
  if (f.alias !== undefined) c.alias = f.alias;
  if (f.allowed_model_region !== undefined) c.allowedModelRegion = f.allowed_model_region;
  if (f.default_model !== undefined) c.defaultModel = f.default_model;
  if (f.budget_id !== undefined) c.budgetId = f.budget_id;
  return c;
}

/** The budget-given limits cleared, for an end user leaving its budget. */
const NO_LIMITS: CustomerChanges = {
  maxBudget: null,
  softBudget: null,
  budgetDuration: null,
  budgetResetAt: null,
  rpmLimit: null,
  tpmLimit: null,
  maxParallelRequests: null,
};

/**
 * An end user that takes a budget gets its limits from it alone (LiteLLM: "either max_budget or budget_id"): a
 * limit field beside it would be overwritten by the budget's, so it is refused, naming where to change it.
 */
function notBesideBudget(f: Record<string, unknown>, budgetId: string): void {
  const given = BUDGET_LIMIT_FIELDS.find((k) => f[k] !== undefined);
  if (given === undefined) return;
  throw Errors.badRequest(
    f.budget_id !== undefined
      ? `Set either '${given}' or 'budget_id', not both.`
      : `This customer takes its limits from budget ${budgetId}: change ${given} with /budget/update, or set budget_id to null first`,
    given,
    'budget_id_set',
  );
}

function budgetError(err: unknown): never {
  if (err instanceof UnknownBudget)
    throw Errors.badRequest(`Budget not found: ${err.budgetId}`, 'budget_id', 'budget_not_found');
  throw err;
}

function stored(f: Record<string, unknown>): Prisma.InputJsonObject {
  return pick(f, CUSTOMER_STORED_FIELDS) as Prisma.InputJsonObject;
}

function notFound(id: string) {
  return Errors.notFound(`Customer not found: ${id}`, 'customer_not_found', 'end_user_id');
}
