import { Errors } from '../../common/errors/gateway-error';
import { UnknownBudget } from '../budgets/budgets.repository';
import { UniqueViolation } from '../db-errors';
import { describeKeyRef } from '../secrets/key-secret';

export function notFound(keyRef: string) {
  return Errors.notFound(`Key not found: ${describeKeyRef(keyRef)}`, 'key_not_found', 'key');
}

/** A unique violation: which of the key's unique values is taken; or a budget_id that names no budget. */
export function taken(secretField: string) {
  return (err: unknown): never => {
    if (err instanceof UnknownBudget)
      throw Errors.badRequest(`Budget not found: ${err.budgetId}`, 'budget_id', 'budget_not_found');
    if (err instanceof UniqueViolation) {
      const alias = err.fields.some((f) => /alias/i.test(f));
      throw alias
        ? Errors.badRequest(
            "Another key of the key's team already has this key_alias; aliases are unique within a team (keys without a team share one namespace)",
            'key_alias',
            'key_alias_taken',
          )
        : Errors.badRequest(`This ${secretField} already exists; choose another`, secretField, 'key_exists');
    }
    throw err;
  };
}
