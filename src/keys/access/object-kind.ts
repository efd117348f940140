/** The stored objects a model call belongs to, beside its key: its team, its user, its end user (`user` field). */
export type ObjectKind = 'team' | 'user' | 'end_user';

export const OBJECT_KINDS: readonly ObjectKind[] = ['team', 'user', 'end_user'];

/** The word used in messages, and the prefix of each kind's rate-limit scope id. */
export const KIND_LABEL: Readonly<Record<ObjectKind, string>> = { team: 'team', user: 'user', end_user: 'end user' };
export const KIND_SCOPE: Readonly<Record<ObjectKind, string>> = { team: 't:', user: 'u:', end_user: 'e:' };
