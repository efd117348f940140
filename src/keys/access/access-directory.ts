import { Injectable } from '@nestjs/common';
import type { Actor } from '../actor';
import { TeamsRepository } from '../teams/teams.repository';
import { UsersRepository } from '../users/users.repository';
import { AccessObjects } from './access-objects.service';
import { ObjectChanges } from './object-changes.service';

/**
 * Nest token: what authentication asks of teams and users: known? create on first use (JWTs); a user's role (its
 * virtual keys act with it).
 */
export const ACCESS_DIRECTORY = Symbol('ACCESS_DIRECTORY');

export interface AccessDirectory {
  /** From memory: whether the team is stored. */
  hasTeam(teamId: string): boolean;
  hasUser(userId: string): boolean;
  /** The user's `user_role` from memory (null: none; undefined: not stored). */
  userRoleOf(userId: string): string | null | undefined;
  /** Changes whenever a user appears, goes or changes role (see AccessObjects.usersVersion). */
  readonly usersVersion: number;
  /** Stores a team seen in a JWT (no limits); a no-op when it exists. */
  upsertTeam(teamId: string, actor: Actor): Promise<void>;
  /** Stores a user seen in a JWT (role internal_user); a no-op when it exists. */
  upsertUser(userId: string, email: string | undefined, actor: Actor): Promise<void>;
}

/** The keys module's AccessDirectory: the in-memory mirror for questions, the repositories for upserts. */
@Injectable()
export class JwtAccessDirectory implements AccessDirectory {
  constructor(
    private readonly objects: AccessObjects,
    private readonly teams: TeamsRepository,
    private readonly users: UsersRepository,
    private readonly changes: ObjectChanges,
  ) {}

  hasTeam(teamId: string): boolean {
    return this.objects.get('team', teamId) !== undefined;
  }

  hasUser(userId: string): boolean {
    return this.objects.get('user', userId) !== undefined;
  }

  userRoleOf(userId: string): string | null | undefined {
    return this.objects.userRoleOf(userId);
  }

  get usersVersion(): number {
    return this.objects.usersVersion;
  }

  async upsertTeam(teamId: string, actor: Actor): Promise<void> {
    await this.teams.upsertSeen(teamId, actor);
    await this.changes.changed('team', [teamId]);
  }

  async upsertUser(userId: string, email: string | undefined, actor: Actor): Promise<void> {
    await this.users.upsertSeen(userId, email, actor);
    await this.changes.changed('user', [userId]);
  }
}
