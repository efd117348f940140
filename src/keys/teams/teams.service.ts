import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { Caller } from '../../auth/caller';
import { Errors } from '../../common/errors/gateway-error';
import type { Prisma } from '../../generated/prisma/client';
import { actorOf } from '../actor';
import { ObjectChanges } from '../access/object-changes.service';
import { isAdmin, mayReadTeam, readsAll, requireAdmin } from '../access/object-access';
import { ObjectsRepository } from '../access/objects.repository';
import { pick, toLimitChanges } from '../access/limit-fields';
import { UniqueViolation } from '../db-errors';
import { KeyViews } from '../key-views.service';
import { SpendWriter } from '../spend/spend-writer.service';
import {
  MAX_TEAM_MEMBERS,
  TEAM_STORED_FIELDS,
  type Member,
  type NewTeamRequest,
  type UpdateTeamRequest,
  memberAddSchema,
  memberDeleteSchema,
  memberUpdateSchema,
} from './team-requests.dto';
import { MemberUsersRepository } from './member-users.repository';
import type { MemberBudgetFields } from './member-budgets.repository';
import { TeamMemberBudgets } from './team-member-budgets.service';
import { toTeamView } from './team-view';
import { TeamsRepository, type TeamChanges, type TeamRow } from './teams.repository';

type View = Record<string, unknown>;

/** The `/team/*` routes: LiteLLM's team management, with an audit row per change. */
@Injectable()
export class TeamsService {
  constructor(
    private readonly repo: TeamsRepository,
    private readonly objects: ObjectsRepository,
    private readonly changes: ObjectChanges,
    private readonly spend: SpendWriter,
    private readonly memberUsers: MemberUsersRepository,
    private readonly memberBudgets: TeamMemberBudgets,
    private readonly keyViews: KeyViews,
  ) {}

  async create(req: NewTeamRequest, caller: Caller): Promise<View> {
    requireAdmin(caller, 'create teams');
    const teamId = req.team_id ?? randomUUID();
    const members = [...(req.members_with_roles ?? [])];
    // LiteLLM: whoever creates a team (when it is a user) becomes its admin.
    if (caller.userId && !members.some((m) => m.user_id === caller.userId))
      members.push({ role: 'admin', user_id: caller.userId });
    const data: Prisma.TeamUncheckedCreateInput = {
      ...columns(req),
      teamId,
      membersWithRoles: members,
      extra: stored(req),
    };
    const row = await this.repo.create(data, actorOf(caller), 'team.new', auditFields(req)).catch((err: unknown) => {
      if (err instanceof UniqueViolation)
        throw Errors.badRequest(
          `Team id = ${teamId} already exists. Please use a different team id.`,
          'team_id',
          'team_exists',
        );
      throw err;
    });
    await this.changes.changed('team', [teamId]);
    // As LiteLLM's: each member named by id is a stored user listing the team (created when unknown), as member_add
    // makes it. One named by email alone stays as written (LiteLLM stores no user for it here either).
    const named = members.filter((m) => !!m.user_id);
    const created = named.length > 0 ? await this.memberUsers.join(teamId, named, actorOf(caller), 'team.new') : [];
    if (created.length > 0) await this.changes.changed('user', created);
    if (await this.memberBudgets.teamChanged(teamId, req, actorOf(caller)))
      return toTeamView((await this.repo.find(teamId)) ?? row);
    return toTeamView(row);
  }

  async info(teamId: string | undefined, caller: Caller): Promise<View> {
    const id = teamId ?? caller.teamId;
    if (id === undefined)
      throw Errors.badRequest('Give the team: /team/info?team_id=<id>', 'team_id', 'missing_team_id');
    // A caller of another team may still read it as one of its members (LiteLLM's team_info lets members read).
    const asMember = caller.userId !== undefined && !readsAll(caller) && caller.teamId !== id;
    if (!asMember) mayReadTeam(caller, id);
    await this.objects.resetDue('team', [id]);
    const row = await this.spend.readConsistent(() => this.repo.find(id));
    // Not a member (or no such team): the same refusal, so that a non-member learns nothing of the team.
    if (asMember && !row?.members.includes(caller.userId)) mayReadTeam(caller, id);
    if (!row) throw notFound(id);
    const keys = await this.repo.keysOf(id);
    return {
      team_id: row.teamId,
      // LiteLLM's team_info adds the team's default member budget.
      team_info: { ...this.view(row), team_member_budget_table: await this.memberBudgets.teamDefault(row.metadata) },
      keys: await this.keyViews.of(keys),
      team_memberships: await this.memberBudgets.memberships(id),
    };
  }

  async update(req: UpdateTeamRequest, caller: Caller): Promise<View> {
    requireAdmin(caller, 'change teams');
    const { team_id: teamId, ...fields } = req;
    const extra = stored(fields);
    const row = await this.repo.update(
      teamId,
      (current) => ({
        ...columns(fields),
        ...keptMemberBudget(fields, current),
        ...(Object.keys(extra).length > 0 ? { extra: { ...(current.extra as object), ...extra } } : {}),
      }),
      actorOf(caller),
      'team.update',
      auditFields(fields),
    );
    if (!row) throw notFound(teamId);
    await this.changes.changed('team', [teamId]);
    if (await this.memberBudgets.teamChanged(teamId, fields, actorOf(caller)))
      return { team_id: teamId, data: this.view((await this.repo.find(teamId)) ?? row) };
    return { team_id: teamId, data: this.view(row) };
  }

  async setBlocked(teamId: string, blocked: boolean, caller: Caller): Promise<View> {
    requireAdmin(caller, blocked ? 'block teams' : 'unblock teams');
    const row = await this.repo.update(
      teamId,
      { blocked },
      actorOf(caller),
      blocked ? 'team.block' : 'team.unblock',
      {},
    );
    if (!row) throw notFound(teamId);
    await this.changes.changed('team', [teamId]);
    return this.view(row);
  }

  async delete(teamIds: string[], caller: Caller): Promise<View> {
    requireAdmin(caller, 'delete teams');
    const res = await this.repo.delete(teamIds, actorOf(caller));
    if (!res)
      throw Errors.notFound(
        `Team not found among ${teamIds.join(', ')}; nothing was deleted`,
        'team_not_found',
        'team_ids',
      );
    this.changes.keysRemoved(res.tokens);
    await this.changes.deleted('team', teamIds);
    return { deleted_teams: teamIds, deleted_keys: res.tokens };
  }

  /** Admins any team; a team caller its own team (adding its members changes none of its limits). */
  async memberAdd(req: z.output<typeof memberAddSchema>, caller: Caller): Promise<View> {
    this.mayManageMembers(req.team_id, caller);
    const given = Array.isArray(req.member) ? req.member : [req.member];
    for (const m of given) notSelf(caller, m);
    if (!(await this.repo.find(req.team_id))) throw notFound(req.team_id);
    // As LiteLLM: each member is a stored user listing the team (created when unknown), listed with its user_id.
    const { created, members: add } = await this.memberUsers.joinMembers(req.team_id, given, actorOf(caller));
    if (created.length > 0) await this.changes.changed('user', created);
    const row = await this.repo.update(req.team_id, withMembers(add), actorOf(caller), 'team.member_add', {
      member: given,
    });
    if (!row) throw notFound(req.team_id);
    const memberships = await this.memberBudgets.membersAdded(
      req.team_id,
      add,
      req.max_budget_in_team,
      actorOf(caller),
    );
    return { ...this.view(row), updated_users: add, updated_team_memberships: memberships };
  }

  async memberDelete(req: z.output<typeof memberDeleteSchema>, caller: Caller): Promise<View> {
    this.mayManageMembers(req.team_id, caller);
    const gone = { role: 'user' as const, user_id: req.user_id, user_email: req.user_email };
    notSelf(caller, gone);
    let leaving: string[] = [];
    let deletedKeys: string[] = [];
    const details: Record<string, unknown> = pick(req, ['user_id', 'user_email']);
    const row = await this.repo.update(
      req.team_id,
      (current) => {
        const all = current.membersWithRoles as Member[];
        const members = all.filter((m) => !same(gone, m));
        // As LiteLLM: deleting someone who is no member is refused, not answered as done.
        if (members.length === all.length) throw notMember(req, req.team_id);
        for (const m of all) if (same(gone, m)) notSelf(caller, m);
        leaving = all.flatMap((m) => (same(gone, m) && m.user_id ? [m.user_id] : []));
        return {
          membersWithRoles: members,
          members: memberIds(members),
          admins: current.admins.filter((a) => a !== req.user_id),
        };
      },
      actorOf(caller),
      'team.member_delete',
      details,
      // The users leaving: those the matched entries name, and one named by email is also the user of that email.
      // As LiteLLM, each takes its keys of the team with it (made by itself or for it), so that none goes on spending
      // the team's budget outside any member budget.
      async (tx) => {
        if (!req.user_id && req.user_email)
          leaving = [...new Set([...leaving, ...(await TeamsRepository.userIdsOfEmail(tx, req.user_email))])];
        deletedKeys = await TeamsRepository.deleteMemberKeys(tx, req.team_id, leaving);
        details.deleted_keys = deletedKeys.length;
      },
    );
    if (!row) throw notFound(req.team_id);
    this.changes.keysRemoved(deletedKeys);
    await this.memberUsers.leave(req.team_id, leaving);
    await this.memberBudgets.memberRemoved(req.team_id, leaving);
    return this.view(row);
  }

  async memberUpdate(req: z.output<typeof memberUpdateSchema>, caller: Caller): Promise<View> {
    this.mayManageMembers(req.team_id, caller);
    let found: Member | undefined;
    const row = await this.repo.update(
      req.team_id,
      (current) => {
        const members = (current.membersWithRoles as Member[]).map((m) => {
          if (found || !same(req, m)) return m;
          notSelf(caller, m);
          found = { ...m, role: req.role ?? m.role };
          return found;
        });
        if (!found) throw notMember(req, req.team_id);
        return { membersWithRoles: members };
      },
      actorOf(caller),
      'team.member_update',
      pick(req, ['user_id', 'user_email', 'role', 'max_budget_in_team', 'budget_duration', 'tpm_limit', 'rpm_limit']),
    );
    if (!row || !found) throw notFound(req.team_id);
    await this.memberBudgets.memberUpdated(req.team_id, found, memberBudgetFields(req), actorOf(caller));
    return {
      team_id: req.team_id,
      user_id: found.user_id ?? null,
      user_email: found.user_email ?? null,
      max_budget_in_team: req.max_budget_in_team ?? null,
      ...pick(req, ['budget_duration', 'tpm_limit', 'rpm_limit']),
    };
  }

  async list(q: { user_id?: string; organization_id?: string }, caller: Caller): Promise<View[]> {
    const own = readsAll(caller)
      ? undefined
      : caller.teamId !== undefined
        ? [caller.teamId]
        : caller.userId !== undefined
          ? undefined
          : [];
    const userId = readsAll(caller) || caller.teamId !== undefined ? q.user_id : caller.userId;
    const filter = { userId, organizationId: q.organization_id, teamIds: own };
    let rows = await this.repo.list(filter);
    if (await this.objects.resetEnded('team', rows, (r) => r.teamId)) rows = await this.repo.list(filter);
    // LiteLLM's TeamListResponseObject: each team with its keys and its memberships (the user's only, when named).
    const teamIds = rows.map((r) => r.teamId);
    const keys = rows.length > 0 ? await this.keyViews.of(await this.repo.keysOfTeams(teamIds)) : [];
    const memberships = await this.memberBudgets.memberships(teamIds, userId);
    return rows.map((r) => ({
      ...this.view(r),
      team_memberships: memberships.filter((m) => m.team_id === r.teamId),
      keys: keys.filter((k) => k.team_id === r.teamId),
    }));
  }

  private view(row: TeamRow): View {
    return toTeamView(row, this.spend.unflushedOf('team', row.teamId));
  }

  private mayManageMembers(teamId: string, caller: Caller): void {
    if (isAdmin(caller) || (caller.role === 'team' && caller.teamId === teamId)) return;
    throw Errors.forbidden(
      `Only a proxy admin, or team ${JSON.stringify(teamId)} itself, may change its members`,
      'team_forbidden',
    );
  }
}

/** The team columns of a request (the fields given; absent ones untouched). */
function columns(f: Omit<NewTeamRequest, 'team_id'>): TeamChanges & Prisma.TeamUncheckedCreateInput {
  const c = toLimitChanges(f) as Record<string, unknown>;
  if (f.team_alias !== undefined) c.teamAlias = f.team_alias;
  if (f.organization_id !== undefined) c.organizationId = f.organization_id;
  if (f.admins !== undefined) c.admins = f.admins;
  if (f.members_with_roles !== undefined) {
    c.membersWithRoles = f.members_with_roles;
    c.members = f.members ?? memberIds(f.members_with_roles);
  } else if (f.members !== undefined) c.members = f.members;
  return c as TeamChanges & Prisma.TeamUncheckedCreateInput;
}

/** A metadata change keeps the team's link to its default member budget (LiteLLM keeps it in metadata too). */
function keptMemberBudget(f: { metadata?: Record<string, unknown> | null }, current: TeamRow): TeamChanges {
  const id = (current.metadata as Record<string, unknown> | null)?.team_member_budget_id;
  if (f.metadata === undefined || typeof id !== 'string') return {};
  const metadata: Prisma.InputJsonObject = {
    ...(f.metadata as Prisma.InputJsonObject | null),
    team_member_budget_id: id,
  };
  return { metadata };
}

/** A member's own budget fields of /team/member_update. */
function memberBudgetFields(req: z.output<typeof memberUpdateSchema>): MemberBudgetFields {
  const f: MemberBudgetFields = {};
  if (req.max_budget_in_team !== undefined) f.maxBudget = req.max_budget_in_team;
  if (req.budget_duration !== undefined) f.budgetDuration = req.budget_duration;
  if (req.rpm_limit !== undefined) f.rpmLimit = req.rpm_limit;
  if (req.tpm_limit !== undefined) f.tpmLimit = req.tpm_limit;
  return f;
}

function stored(f: Record<string, unknown>): Prisma.InputJsonObject {
  return pick(f, TEAM_STORED_FIELDS) as Prisma.InputJsonObject;
}

function auditFields(f: Record<string, unknown>): Record<string, unknown> {
  return pick(f, Object.keys(f));
}

/** The team change that adds (or replaces) these members. */
export function withMembers(add: readonly Member[]): (current: TeamRow) => TeamChanges {
  return (current) => {
    const members = (current.membersWithRoles as Member[]).filter((m) => !add.some((a) => same(a, m)));
    members.push(...add);
    if (members.length > MAX_TEAM_MEMBERS)
      throw Errors.badRequest(
        `Team ${current.teamId} would have ${members.length} members; a team has at most ${MAX_TEAM_MEMBERS}`,
        'member',
        'too_many_members',
      );
    return { membersWithRoles: members, members: memberIds(members) };
  };
}

function memberIds(members: readonly Member[]): string[] {
  return [...new Set(members.flatMap((m) => (m.user_id ? [m.user_id] : [])))];
}

function same(a: Pick<Member, 'user_id' | 'user_email'>, b: Pick<Member, 'user_id' | 'user_email'>): boolean {
  return (!!a.user_id && a.user_id === b.user_id) || (!!a.user_email && a.user_email === b.user_email);
}

/**
 * A team caller manages its team's members, but not its own membership: its role and budget in the team are limits
 * on its own calls, which only an admin changes (as it never changes the team's own limits).
 */
function notSelf(caller: Caller, m: Pick<Member, 'user_id' | 'user_email'>): void {
  if (isAdmin(caller)) return;
  const self =
    (caller.userId !== undefined && m.user_id === caller.userId) ||
    (caller.userEmail !== undefined && m.user_email === caller.userEmail);
  if (self)
    throw Errors.forbidden(
      'A team caller may not change its own membership in the team (its role and budget there); an admin can',
      'member_self_change',
    );
}

function notMember(m: { user_id?: string; user_email?: string }, teamId: string) {
  return Errors.badRequest(
    `${m.user_id ?? m.user_email} is not a member of team ${teamId}`,
    m.user_id !== undefined ? 'user_id' : 'user_email',
    'member_not_found',
  );
}

function notFound(teamId: string) {
  return Errors.notFound(`Team not found: ${teamId}`, 'team_not_found', 'team_id');
}
