import { Inject, Injectable } from '@nestjs/common';
import type { Caller } from '../auth/caller';
import { Errors } from '../common/errors/gateway-error';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import { AccessObjects } from './access/access-objects.service';
import { ObjectChanges } from './access/object-changes.service';
import { actorOf, keyActorId, type Actor } from './actor';
import type {
  DeleteKeysRequest,
  GenerateKeyRequest,
  ListKeysQuery,
  RegenerateKeyRequest,
  UpdateKeyRequest,
} from './dto/key-requests.dto';
import type { KeyFields } from './dto/key-fields';
import { auditedFields, recordBlocker, toKeyChanges } from './key-changes';
import { KeyCache } from './key-cache.service';
import {
  adminBlocked,
  blockWhere,
  isInternalUser,
  mayRotateSelf,
  scopeWhere,
  withinScope,
  type KeyScope,
} from './key-scope';
import type { KeyView } from './key-view';
import { KeyViews } from './key-views.service';
import { KeysRepository, type KeyChanges, type KeyFilter, type KeyRow, type KeyScopeWhere } from './keys.repository';
import { KEY_SORT_COLUMNS } from './key-row';
import { KeyEventsService } from './invalidation/key-events.service';
import { callerScope } from './management/caller-scope';
import { ChangeFanout } from './management/change-fanout';
import { deleteTargets } from './management/delete-targets';
import { notFound, taken } from './management/key-errors';
import { rotationOf, rotationWhere } from './management/key-rotation';
import { teamMoveWhere } from './management/key-team-move';
import { hashSecret, maskSecret, newSecret, toToken } from './secrets/key-secret';
import { SpendWriter } from './spend/spend-writer.service';
import { TeamsRepository } from './teams/teams.repository';

export type SecretAnswer = KeyView & { key: string };

/**
 * Key management (the `/key/*` routes): each change is written with its audit row in one transaction, applied to
 * this instance's cache at once, then broadcast so every other instance drops its copy.
 */
@Injectable()
export class KeysService {
  private readonly fanout: ChangeFanout;

  constructor(
    private readonly repo: KeysRepository,
    private readonly cache: KeyCache,
    private readonly spend: SpendWriter,
    private readonly events: KeyEventsService,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly objectChanges: ObjectChanges,
    private readonly views: KeyViews,
    private readonly objects: AccessObjects,
    private readonly teams: TeamsRepository,
  ) {
    this.fanout = new ChangeFanout(repo, cache, spend, events);
    this.masterToken = config.masterKey ? hashSecret(config.masterKey) : null;
  }

  /** The hash a virtual key whose secret is the master key would have: never stored (see notMasterKey). */
  private readonly masterToken: string | null;

  /**
   * A custom secret equal to the master key is refused: the master key's hash would be stored, and the key would
   * never be used while the master key is (the master key is matched first), then act as this key once it changes.
   */
  private notMasterKey(token: string, field: 'key' | 'new_key'): void {
    if (token === this.masterToken)
      throw Errors.badRequest(`${field} must not be the master key`, field, 'key_is_master_key');
  }

  async generate(input: GenerateKeyRequest, caller: Caller): Promise<SecretAnswer> {
    const req = withinScope(await this.scope(caller, typeof input.team_id === 'string'), input, true);
    const actor = actorOf(caller);
    const secret = req.key ?? newSecret();
    const token = hashSecret(secret);
    this.notMasterKey(token, 'key');
    const c = recordBlocker(toKeyChanges(req), actor);
    const row = await this.repo
      .create({ ...c, token, keyName: maskSecret(secret), createdBy: actor.id }, actor, {
        action: 'key.generate',
        token,
        details: { ...auditedFields(req), custom_key: req.key !== undefined },
      })
      .catch(taken('key'));
    await this.fanout.changed([row], [], true);
    return { key: secret, ...(await this.views.one(row)) };
  }

  async info(keyRef: string | undefined, caller: Caller): Promise<{ key: string; info: KeyView }> {
    let token: string | null;
    // A plain key reads only itself; a key acting with its user's role reads as that role does (below).
    if (caller.role === 'virtual_key' || (keyRef === undefined && caller.via === 'virtual_key')) {
      token = keyRef === undefined ? (caller.token ?? null) : toToken(keyRef);
      if (token !== caller.token)
        throw Errors.forbidden(
          'A virtual key may only read its own info (call /key/info without ?key=)',
          'key_info_forbidden',
        );
    } else {
      if (keyRef === undefined)
        throw Errors.badRequest('Give the key to look up: /key/info?key=<key or token>', 'key', 'missing_key');
      token = toToken(keyRef);
    }
    // A budget period that is over is ended first, so the answer shows the current period and its end.
    const row = token ? await this.spend.readConsistent(() => this.repo.resetDuePeriod(token)) : null;
    if (!row || !mayRead(caller, row)) throw notFound(keyRef ?? 'this key');
    return { key: row.token, info: await this.views.one(row) };
  }

  /**
   * LiteLLM's `/v2/key/info`: the keys among `refs` this caller may read, as /key/info reads each (a plain key only
   * itself), read together in the order asked; the others are left out, as keys that do not exist are.
   */
  async infoMany(refs: readonly string[], caller: Caller): Promise<KeyView[]> {
    const asked = [...new Set(refs.map(toToken).filter((t): t is string => t !== null))];
    const tokens = caller.role === 'virtual_key' ? asked.filter((t) => t === caller.token) : asked;
    if (tokens.length === 0) return [];
    const rows = await this.spend.readConsistent(() => this.repo.findByTokens(tokens));
    const order = new Map(tokens.map((t, i) => [t, i]));
    const readable = rows.filter((r) => mayRead(caller, r)).sort((a, b) => order.get(a.token)! - order.get(b.token)!);
    // The views end the periods that are over (of the keys shown only), as /key/info does for its key.
    return this.views.of(readable);
  }

  async update(req: UpdateKeyRequest, caller: Caller): Promise<KeyView> {
    const { key, ...fields } = req;
    const scope = await this.scope(caller, typeof fields.team_id === 'string');
    withinScope(scope, fields, false, toToken(key) ?? undefined);
    const where =
      fields.team_id !== undefined
        ? await teamMoveWhere(this.repo, scope, key, { ...fields, team_id: fields.team_id })
        : scopeWhere(scope);
    return this.change(key, toKeyChanges(fields), actorOf(caller), 'key.update', fields, scope, where);
  }

  async setBlocked(keyRef: string, blocked: boolean, caller: Caller): Promise<KeyView> {
    return this.change(
      keyRef,
      { blocked },
      actorOf(caller),
      blocked ? 'key.block' : 'key.unblock',
      {},
      await this.scope(caller),
    );
  }

  async regenerate(req: RegenerateKeyRequest, pathKey: string | undefined, caller: Caller): Promise<SecretAnswer> {
    const { key: bodyKey, new_key: newKey, ...fields } = req;
    const rotation = rotationOf(pathKey, bodyKey, newKey);
    const { ref, oldToken, secret, token } = rotation;
    this.notMasterKey(token, 'new_key');
    // The key it rotates may be of a team: whether the caller may hold it depends on its teams.
    const scope = await this.scope(caller, true);
    withinScope(scope, fields, false, oldToken);
    mayRotateSelf(scope, oldToken);
    const where = await rotationWhere(this.repo, scope, rotation, fields.blocked);
    const changes: KeyChanges = {
      ...recordBlocker(toKeyChanges(fields), actorOf(caller)),
      token,
      keyName: maskSecret(secret),
    };
    this.spend.expectRename(oldToken, token);
    let row: KeyRow | null = null;
    try {
      row = await this.repo
        .update(
          oldToken,
          changes,
          actorOf(caller),
          { action: 'key.regenerate', token, details: { ...auditedFields(fields), previous_token: oldToken } },
          where,
          { from: keyActorId(oldToken), to: keyActorId(token) },
        )
        .catch(taken('new_key'));
    } finally {
      if (!row) this.spend.cancelRename(oldToken, token);
    }
    if (!row) throw notFound(ref);
    this.spend.completeRename(oldToken, token);
    const settled = await this.fanout.settled(row);
    await this.fanout.changed([settled], [oldToken], true, [oldToken, token]);
    return { key: secret, ...(await this.views.one(settled)) };
  }

  /** Keys whose limits a budget change rewrote (budgets.repository.ts applyToKeys): here now, elsewhere at once. */
  async budgetChanged(tokens: readonly string[]): Promise<void> {
    if (tokens.length === 0) return;
    const rows = await this.spend.readConsistent(() => this.repo.findByTokens(tokens));
    await this.fanout.changed(rows, []);
  }

  async delete(req: DeleteKeysRequest, caller: Caller): Promise<{ deleted_keys: string[] }> {
    const where = scopeWhere(await this.scope(caller));
    const tokens = await deleteTargets(this.repo, req, where);
    await this.repo.deleteKeys(tokens, actorOf(caller), where);
    this.objectChanges.forgetKeys(tokens);
    await this.fanout.changed([], tokens);
    return { deleted_keys: tokens };
  }

  async list(
    q: ListKeysQuery,
    caller: Caller,
  ): Promise<{ keys: (string | KeyView)[]; total_count: number; current_page: number; total_pages: number }> {
    const where = scopeWhere(await this.scope(caller));
    if (q.status === 'deleted') return { keys: [], total_count: 0, current_page: q.page, total_pages: 0 };
    const { rows, total } = await this.spend.readConsistent(() => this.repo.list(listFilter(q), q.page, q.size, where));
    return {
      keys: q.return_full_object ? await this.views.of(rows) : rows.map((r) => r.token),
      total_count: total,
      current_page: q.page,
      total_pages: Math.ceil(total / q.size),
    };
  }

  private async change(
    keyRef: string,
    changes: KeyChanges,
    actor: Actor,
    action: string,
    fields: KeyFields,
    scope: KeyScope | null,
    where: KeyScopeWhere = scopeWhere(scope),
  ): Promise<KeyView> {
    const token = toToken(keyRef);
    const audit = { action, token, details: auditedFields(fields) };
    const guarded = blockWhere(scope, changes.blocked, where);
    const row = token
      ? await this.repo.update(token, recordBlocker(changes, actor), actor, audit, guarded).catch(taken('key_alias'))
      : null;
    if (!row) {
      // In the caller's scope, yet not written: the block filter refused it.
      if (token && guarded !== where && (await this.repo.findByTokens([token], where)).length > 0) throw adminBlocked();
      throw notFound(keyRef);
    }
    const settled = await this.fanout.settled(row);
    await this.fanout.changed([settled], []);
    return this.views.one(settled);
  }

  /** What the caller may manage (null: every key); see key-scope.ts. */
  private scope(caller: Caller, withTeams = false): Promise<KeyScope | null> {
    const teamsOf = withTeams ? (user: string) => this.teams.teamsOfMember(user) : undefined;
    return callerScope(caller, this.config, this.cache, this.objects, teamsOf);
  }
}

/** /key/list's filters and order, in LiteLLM's query names. */
function listFilter(q: ListKeysQuery): KeyFilter {
  const extra = Object.fromEntries(
    (['organization_id', 'project_id', 'agent_id'] as const).flatMap((k) => (q[k] ? [[k, q[k]]] : [])),
  );
  return {
    teamId: q.team_id,
    userId: q.user_id,
    keyAlias: q.key_alias,
    token: q.key_hash,
    extra,
    accessGroupId: q.access_group_id,
    sortBy: q.sort_by && KEY_SORT_COLUMNS[q.sort_by],
    sortOrder: q.sort_order,
  };
}

/**
 * Whether a caller that may read keys reads this one: a team (JWT) only its own team's keys, an internal user the keys
 * it created (a JWT) or its user's keys (a key of the user); others every key their route reaches.
 */
function mayRead(caller: Caller, row: KeyRow): boolean {
  if (caller.role === 'team') return row.teamId === caller.teamId;
  if (caller.role === 'internal_user' && caller.via === 'jwt') return row.createdBy === actorOf(caller).id;
  if (isInternalKey(caller)) return row.userId === caller.userId;
  return true;
}

/** A key acting with its user's `internal_user` or `internal_user_viewer` role: it reaches its user's keys. */
function isInternalKey(caller: Caller): boolean {
  return caller.via === 'virtual_key' && isInternalUser(caller);
}
