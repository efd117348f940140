import type { Caller } from '../auth/caller';

/** Who made a management change, as recorded in `created_by` / `updated_by` and the audit log. Never a secret. */
export interface Actor {
  /** `master_key`, `jwt:<sub>` or `key:<token>`. */
  readonly id: string;
  readonly role: string;
  readonly clientId?: string;
}

export function actorOf(caller: Caller): Actor {
  // A key is recorded as itself, with the role it acted with (its user's): an admin's key blocks as an admin.
  if (caller.via === 'virtual_key') return { id: keyActorId(caller.token ?? 'unknown'), role: caller.role };
  switch (caller.role) {
    case 'master':
      return { id: 'master_key', role: 'master' };
    case 'admin':
      return { id: `jwt:${caller.subject ?? caller.clientId ?? 'unknown'}`, role: 'admin', clientId: caller.clientId };
    case 'team':
    case 'internal_user':
    case 'proxy_admin_viewer':
      // The JWT's subject is recorded (a team caller's keys carry the team as team_id).
      return {
        id: `jwt:${caller.subject ?? caller.clientId ?? 'unknown'}`,
        role: caller.role,
        clientId: caller.clientId,
      };
    default:
      // The whole hash (an id, not a secret): a key without a team manages the keys it created, matched on this.
      return { id: keyActorId(caller.token ?? 'unknown'), role: caller.role };
  }
}

/** The actor id of a virtual key: its keys' `created_by` (follows the key when it is regenerated). */
export function keyActorId(token: string): string {
  return `key:${token}`;
}
