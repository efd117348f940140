import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Caller } from '../../auth/caller';
import { Errors } from '../../common/errors/gateway-error';
import type { Prisma } from '../../generated/prisma/client';
import { actorOf } from '../actor';
import { pick, toLimitChanges } from '../access/limit-fields';
import { ObjectChanges } from '../access/object-changes.service';
import { mayReadUser, readsAll, requireAdmin } from '../access/object-access';
import { ObjectsRepository } from '../access/objects.repository';
import { UniqueViolation } from '../db-errors';
import { KeyViews } from '../key-views.service';
import { KeysService } from '../keys.service';
import { SpendWriter } from '../spend/spend-writer.service';
import { toTeamView } from '../teams/team-view';
import { withMembers } from '../teams/teams.service';
import { TeamsRepository } from '../teams/teams.repository';
import {
  USER_KEY_FIELDS,
  USER_SORT_COLUMNS,
  USER_STORED_FIELDS,
  type ListUsersQuery,
  type NewUserRequest,
  type UpdateUserRequest,
} from './user-requests.dto';
import { TeamMemberBudgets } from '../teams/team-member-budgets.service';
import { toUserView } from './user-view';
import { UsersRepository, type UserChanges, type UserRow } from './users.repository';

type View = Record<string, unknown>;
const NOT_AUDITED = ['password'];

/** The `/user/*` routes: LiteLLM's internal users, with an audit row per change. */
@Injectable()
export class UsersService {
  constructor(
    private readonly repo: UsersRepository,
    private readonly objects: ObjectsRepository,
    private readonly changes: ObjectChanges,
    private readonly spend: SpendWriter,
    private readonly keys: KeysService,
    private readonly teams: TeamsRepository,
    private readonly keyViews: KeyViews,
    private readonly memberBudgets: TeamMemberBudgets,
  ) {}

  async create(req: NewUserRequest, caller: Caller): Promise<View> {
    requireAdmin(caller, 'create users');
    const userId = req.user_id ?? randomUUID();
    // LiteLLM adds the new user to `team_id` if given, else to each of `teams`, as a member of role "user".
    const joins = req.team_id ? [{ team_id: req.team_id, role: 'user' as const }] : (req.teams ?? []);
    const teamIds = req.teams?.map((t) => t.team_id) ?? [];
    const data: Prisma.UserUncheckedCreateInput = {
      ...columns(req),
      ...(req.team_id ? { teams: [...new Set([...teamIds, req.team_id])] } : {}),
      userId,
      spend: req.spend ?? 0,
      extra: stored(req),
    };
    const row = await this.repo.create(data, actorOf(caller), audited(req)).catch((err: unknown) => {
      if (err instanceof UniqueViolation)
        throw Errors.badRequest(`User id = ${userId} already exists`, 'user_id', 'user_exists');
      throw err;
    });
    await this.changes.changed('user', [userId]);
    // LiteLLM creates a key for the new user unless told not to; its secret is shown this once. Made before the
    // user joins any team: a key that cannot be made (its key_alias taken) takes the new user back out, so the
    // refused call leaves nothing behind and can be sent again.
    const key =
      req.auto_create_key === false
        ? null
        : await this.keys
            .generate(
              {
                user_id: userId,
                key_alias: req.key_alias ?? undefined,
                duration: req.duration ?? undefined,
                team_id: req.team_id ?? undefined,
              },
              caller,
            )
            .catch(async (err: unknown) => {
              await this.delete([userId], caller);
              throw err;
            });
    const joined = new Set<string>();
    for (const join of joins) {
      const teamId = join.team_id;
      if (joined.has(teamId)) continue;
      joined.add(teamId);
      const member = { role: join.role, user_id: userId, user_email: req.user_email ?? undefined };
      // A team that does not exist is skipped, as LiteLLM does.
      const team = await this.teams.update(teamId, withMembers([member]), actorOf(caller), 'team.member_add', {
        member: [member],
        via: 'user.new',
      });
      // LiteLLM's NewUserRequestTeam: its max_budget_in_team is the member's budget in that team, as member_add's.
      const budget = 'max_budget_in_team' in join ? join.max_budget_in_team : undefined;
      if (team) await this.memberBudgets.membersAdded(teamId, [member], budget, actorOf(caller));
    }
    const view = this.view(row);
    if (key === null) return view;
    return { ...view, key: key.key, token: key.token, expires: key.expires, key_alias: key.key_alias };
  }

  async info(userId: string | undefined, caller: Caller): Promise<View> {
    const id = userId ?? caller.userId;
    if (id === undefined)
      throw Errors.badRequest('Give the user: /user/info?user_id=<id>', 'user_id', 'missing_user_id');
    mayReadUser(caller, id);
    await this.objects.resetDue('user', [id]);
    const row = await this.spend.readConsistent(() => this.repo.find(id));
    if (!row) throw notFound(id);
    const [keys, teams] = await Promise.all([this.repo.keysOf(id), this.repo.teamsOf(id, row.teams)]);
    return {
      user_id: row.userId,
      user_info: this.view(row),
      keys: await this.keyViews.of(keys),
      teams: teams.map((t) => toTeamView(t, this.spend.unflushedOf('team', t.teamId))),
    };
  }

  async update(req: UpdateUserRequest, caller: Caller): Promise<View> {
    requireAdmin(caller, 'change users');
    const { user_id: givenId, ...fields } = req;
    const userId = givenId ?? (await this.userOfEmail(req.user_email!));
    const extra = { ...stored(fields), ...(pick(fields, USER_KEY_FIELDS) as Prisma.InputJsonObject) };
    const row = await this.repo.update(
      userId,
      (current): UserChanges & { spend?: number } => ({
        ...columns(fields),
        // LiteLLM's /user/update sets the user's spend to the amount given.
        ...(fields.spend !== undefined ? { spend: fields.spend } : {}),
        ...(Object.keys(extra).length > 0 ? { extra: { ...(current.extra as object), ...extra } } : {}),
      }),
      actorOf(caller),
      'user.update',
      audited(fields),
    );
    if (!row) throw notFound(userId);
    // The shared budget count only grows within a period: a spend set here restarts it from the new total.
    if (fields.spend !== undefined) await this.changes.deleted('user', [userId]);
    else await this.changes.changed('user', [userId]);
    return { user_id: userId, data: this.view(row) };
  }

  async delete(userIds: string[], caller: Caller): Promise<View> {
    requireAdmin(caller, 'delete users');
    const res = await this.repo.delete(userIds, actorOf(caller));
    if (!res)
      throw Errors.notFound(
        `User not found among ${userIds.join(', ')}; nothing was deleted`,
        'user_not_found',
        'user_ids',
      );
    this.changes.keysRemoved(res.tokens);
    await this.changes.deleted('user', userIds);
    return { deleted_users: userIds, deleted_keys: res.tokens };
  }

  async list(q: ListUsersQuery, caller: Caller): Promise<View> {
    if (!readsAll(caller)) throw Errors.forbidden('Only a proxy admin or viewer may list users', 'admin_only');
    const filter = {
      role: q.role,
      userIds: idList(q.user_ids),
      team: q.team,
      email: q.user_email,
      ssoUserIds: idList(q.sso_user_ids),
      sortBy: q.sort_by && USER_SORT_COLUMNS[q.sort_by],
      sortOrder: q.sort_order,
    };
    let { rows, total } = await this.repo.list(filter, q.page, q.page_size);
    if (await this.objects.resetEnded('user', rows, (r) => r.userId))
      ({ rows, total } = await this.repo.list(filter, q.page, q.page_size));
    return {
      users: rows.map((r) => this.view(r)),
      total,
      page: q.page,
      page_size: q.page_size,
      total_pages: Math.ceil(total / q.page_size),
    };
  }

  /** The one user of this email; several are refused (as /team/member_add does), not one of them picked. */
  private async userOfEmail(email: string): Promise<string> {
    const ids = await this.repo.idsByEmail(email);
    if (ids.length === 0) throw notFound(email);
    if (ids.length > 1)
      throw Errors.badRequest(
        "Multiple users with this email found. Please use 'user_id' instead.",
        'user_email',
        'ambiguous_user_email',
      );
    return ids[0];
  }

  private view(row: UserRow): View {
    return toUserView(row, this.spend.unflushedOf('user', row.userId));
  }
}

function columns(
  f: Omit<NewUserRequest, 'user_id' | (typeof USER_KEY_FIELDS)[number]>,
): UserChanges & Prisma.UserUncheckedCreateInput {
  const c = toLimitChanges(f) as Record<string, unknown>;
  if (f.user_email !== undefined) c.userEmail = f.user_email;
  if (f.user_alias !== undefined) c.userAlias = f.user_alias;
  if (f.user_role !== undefined) c.userRole = f.user_role;
  if (f.teams !== undefined) c.teams = [...new Set(f.teams.map((t) => t.team_id))];
  return c as UserChanges & Prisma.UserUncheckedCreateInput;
}

function stored(f: Record<string, unknown>): Prisma.InputJsonObject {
  return pick(f, USER_STORED_FIELDS) as Prisma.InputJsonObject;
}

function audited(f: Record<string, unknown>): Record<string, unknown> {
  return pick(
    f,
    Object.keys(f).filter((k) => !NOT_AUDITED.includes(k)),
  );
}

function notFound(ref: string) {
  return Errors.notFound(`User not found: ${ref}`, 'user_not_found', 'user_id');
}

/** A comma-separated list of ids, as LiteLLM's list routes take them. */
function idList(text: string | undefined): string[] | undefined {
  return text
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
