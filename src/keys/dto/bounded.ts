import { z } from 'zod';
import { BUDGET_DURATION_HINT, isBudgetDuration } from '../budget/budget-period';
import { isStorableDate, isStorableDuration } from '../../common/time/duration';
import { isStorableText, NOT_STORABLE } from './storable';

/**
 * Number, period and date fields of the management bodies, bounded to what their columns hold, so that a value out
 * of range is a 400 naming the field instead of a database error (500).
 */

/** Largest amount of money (budgets, spend): far above any real budget, and exact in a double precision column. */
export const MAX_AMOUNT = 1e15;

export const money = z.number().nonnegative('must be 0 or more').max(MAX_AMOUNT, `must be at most ${MAX_AMOUNT}`);

/** Requests, tokens and parallel calls: integer columns. */
export const limit = z
  .number()
  .int('must be an integer')
  .nonnegative('must be 0 or more')
  .max(2_147_483_647, 'is too large');

/** LiteLLM's budget_duration, whose first period ends at a date the database holds. */
export const budgetDuration = z
  .string()
  .refine(isBudgetDuration, BUDGET_DURATION_HINT)
  .refine((d) => isStorableDuration(d), 'is too long: the period would end after the year 9999');

/** An ISO 8601 date-time in the years 1 to 9999 (PostgreSQL has no year 0; JavaScript dates go beyond 9999). */
export const dateTime = z.iso
  .datetime({ offset: true, error: 'must be an ISO date-time' })
  .refine((s) => isStorableDate(new Date(s)), 'must be in the years 1 to 9999');

/**
 * An email address as a mail system takes it: a local part, `@`, and a domain of non-empty labels, no spaces. Short
 * real addresses (`a@b.c`) pass; zod's own check wants a TLD of two letters or more and refuses them.
 */
export const emailAddress = z
  .string()
  .max(256, 'must be at most 256 characters')
  .regex(/^[^\s@]+@[^\s@.]+(\.[^\s@.]+)*$/, 'must be an email address')
  .refine(isStorableText, NOT_STORABLE);
