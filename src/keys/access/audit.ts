import type { Prisma } from '../../generated/prisma/client';
import type { Actor } from '../actor';

/** The audit row of a change to a team, user or end user (`team.new`, `user.update`, `customer.block`, ...). */
export function objectAudit(
  actor: Actor,
  action: string,
  objectId: string,
  details: Record<string, unknown> = {},
): Prisma.AuditLogCreateManyInput {
  return {
    actor: actor.id,
    actorRole: actor.role,
    action,
    objectId,
    details: (actor.clientId ? { ...details, client_id: actor.clientId } : details) as Prisma.InputJsonValue,
  };
}
