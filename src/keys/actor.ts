import type { Caller } from '../auth/caller';

/** Who made a management change, as recorded in `created_by` / `updated_by` and the audit log. Never a secret. */
export interface Actor {
  /** `master_key`, `jwt:<sub>`, `project:<id>` or `key:<token prefix>`. */
  readonly id: string;
  readonly role: string;
  readonly clientId?: string;
}

export function actorOf(caller: Caller): Actor {
  switch (caller.role) {
    case 'master':
      return { id: 'master_key', role: 'master' };
    case 'admin':
      return { id: `jwt:${caller.subject ?? caller.clientId ?? 'unknown'}`, role: 'admin', clientId: caller.clientId };
    case 'project':
      return { id: `project:${caller.projectId ?? 'unknown'}`, role: 'project', clientId: caller.clientId };
    default:
      return { id: `key:${(caller.keyHash ?? '').slice(0, 12)}`, role: caller.role };
  }
}
