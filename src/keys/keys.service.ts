import { Inject, Injectable } from '@nestjs/common';
import type { Caller } from '../auth/caller';
import { DEFAULT_CALLER_ROUTES } from '../auth/route-groups';
import { Errors } from '../common/errors/gateway-error';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import { ObjectChanges } from './access/object-changes.service';
import { actorOf, keyActorId, type Actor } from './actor';
import { UniqueViolation } from './db-errors';
import type {
  DeleteKeysRequest,
  GenerateKeyRequest,
  ListKeysQuery,
  RegenerateKeyRequest,
  UpdateKeyRequest,
} from './dto/key-requests.dto';
import type { KeyFields } from './dto/key-fields';
import { auditedFields, toKeyChanges } from './key-changes';
import { KeyCache } from './key-cache.service';
import {
  adminBlocked,
  blockWhere,
  isAdminBlocked,
  mayRotateSelf,
  mayTakeOver,
  scopeOf,
  scopeWhere,
  withinScope,
  type KeyScope,
} from './key-scope';
import { toKeyView, type KeyView } from './key-view';
import { KeysRepository, type KeyChanges, type KeyRow } from './keys.repository';
import { KeyEventsService } from './invalidation/key-events.service';
import { describeKeyRef, hashSecret, maskSecret, newSecret, toToken } from './secrets/key-secret';
import { SpendWriter } from './spend/spend-writer.service';

export type SecretAnswer = KeyView & { key: string };

/**
 * Key management (the `/key/*` routes): each change is written with its audit row in one transaction, applied to
 * this instance's cache at once, then broadcast so every other instance drops its copy.
 */
@Injectable()
export class KeysService {
  constructor(
    private readonly repo: KeysRepository,
    private readonly cache: KeyCache,
    private readonly spend: SpendWriter,
    private readonly events: KeyEventsService,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly objectChanges: ObjectChanges,
  ) {}

  async generate(input: GenerateKeyRequest, caller: Caller): Promise<SecretAnswer> {
    const req = withinScope(await this.scope(caller), input, true);
    const actor = actorOf(caller);
    const secret = req.key ?? newSecret();
    const token = hashSecret(secret);
    const c = recordBlocker(toKeyChanges(req), actor);
    const row = await this.repo
      .create({ ...c, token, keyName: maskSecret(secret), createdBy: actor.id }, actor, {
        action: 'key.generate',
        keyHash: token,
        details: { ...auditedFields(req), custom_key: req.key !== undefined },
      })
      .catch(taken('key'));
    await this.changed([row], [], true);
    return { key: secret, ...toKeyView(row) };
  }

  async info(keyRef: string | undefined, caller: Caller): Promise<{ key: string; info: KeyView }> {
    let token: string | null;
    if (caller.role === 'virtual_key') {
      token = keyRef === undefined ? (caller.keyHash ?? null) : toToken(keyRef);
      if (token !== caller.keyHash)
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
    // A team (JWT) reads only its own team's keys, an internal user the keys it created; others are answered as unknown.
    if (
      !row ||
      (caller.role === 'team' && row.teamId !== caller.teamId) ||
      (caller.role === 'internal_user' && row.createdBy !== actorOf(caller).id)
    )
      throw notFound(keyRef ?? 'this key');
    return { key: row.token, info: toKeyView(row, this.spend.unflushed(row.token)) };
  }

  async update(req: UpdateKeyRequest, caller: Caller): Promise<KeyView> {
    const { key, ...fields } = req;
    const scope = await this.scope(caller);
    withinScope(scope, fields, false, toToken(key) ?? undefined);
    return this.change(key, toKeyChanges(fields), actorOf(caller), 'key.update', fields, scope);
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
    if (pathKey !== undefined && bodyKey !== undefined && toToken(pathKey) !== toToken(bodyKey)) {
      throw Errors.badRequest('The key in the path and the key in the body differ', 'key');
    }
    const ref = pathKey ?? bodyKey;
    if (ref === undefined)
      throw Errors.badRequest('Give the key to regenerate: {"key": "<key or token>"}', 'key', 'missing_key');
    const oldToken = toToken(ref);
    if (!oldToken) throw notFound(ref);
    const secret = newKey ?? newSecret();
    const token = hashSecret(secret);
    // Same secret: nothing would rotate, and the row's change would look like a rename onto itself to other instances.
    if (token === oldToken)
      throw Errors.badRequest('new_key must differ from the key being regenerated', 'new_key', 'same_key');
    const scope = await this.scope(caller);
    withinScope(scope, fields, false, oldToken);
    mayRotateSelf(scope, oldToken);
    let where = scopeWhere(scope);
    if (scope) {
      // The caller gets the new secret: the key must be one it could have made itself, and still be so when written.
      const [current] = await this.repo.findByTokens([oldToken], where);
      if (!current) throw notFound(ref);
      mayTakeOver(scope, current);
      if (fields.blocked !== undefined && isAdminBlocked(current)) throw adminBlocked();
      where = blockWhere(scope, fields.blocked, {
        AND: [
          where,
          {
            models: { equals: current.models },
            allowedRoutes: { equals: current.allowedRoutes },
            teamId: current.teamId,
          },
        ],
      });
    }
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
          { action: 'key.regenerate', keyHash: token, details: { ...auditedFields(fields), previous_token: oldToken } },
          where,
          {
            from: keyActorId(oldToken),
            to: keyActorId(token),
          },
        )
        .catch(taken('new_key'));
    } finally {
      if (!row) this.spend.cancelRename(oldToken, token);
    }
    if (!row) throw notFound(ref);
    this.spend.completeRename(oldToken, token);
    const settled = await this.settled(row);
    await this.changed([settled], [oldToken], true, [oldToken, token]);
    return { key: secret, ...toKeyView(settled, this.spend.unflushed(token)) };
  }

  async delete(req: DeleteKeysRequest, caller: Caller): Promise<{ deleted_keys: string[] }> {
    const where = scopeWhere(await this.scope(caller)); // keys out of the caller's scope are not found
    const tokens = new Set<string>();
    const missing: string[] = [];
    const refs = req.keys ?? [];
    const byRef = refs.map((r) => [r, toToken(r)] as const);
    const known = await this.repo.findByTokens(
      byRef.flatMap(([, t]) => (t ? [t] : [])),
      where,
    );
    const knownSet = new Set(known.map((r) => r.token));
    for (const [ref, t] of byRef) {
      if (t && knownSet.has(t)) tokens.add(t);
      else missing.push(describeKeyRef(ref));
    }
    const aliases = req.key_aliases ?? [];
    const ambiguous: string[] = [];
    if (aliases.length > 0) {
      const rows = await this.repo.findByAliases(aliases, where);
      for (const a of aliases) {
        const held = rows.filter((r) => r.keyAlias === a);
        if (held.length === 0) missing.push(`alias ${a}`);
        // An alias is unique per team: one the caller sees in several teams names no single key to delete.
        else if (held.length > 1) ambiguous.push(`${JSON.stringify(a)} (teams ${held.map(teamName).join(', ')})`);
        else tokens.add(held[0].token);
      }
    }
    if (missing.length > 0)
      throw Errors.notFound(`Key not found: ${missing.join(', ')}; nothing was deleted`, 'key_not_found', 'keys');
    if (ambiguous.length > 0)
      throw Errors.badRequest(
        `key_alias ${ambiguous.join(', ')} is held by keys of several teams; delete them by "keys"; nothing was deleted`,
        'key_aliases',
        'key_alias_ambiguous',
      );
    await this.repo.deleteKeys([...tokens], actorOf(caller), where);
    this.objectChanges.forgetKeys([...tokens]);
    await this.changed([], [...tokens]);
    return { deleted_keys: [...tokens] };
  }

  async list(
    q: ListKeysQuery,
    caller: Caller,
  ): Promise<{ keys: (string | KeyView)[]; total_count: number; current_page: number; total_pages: number }> {
    const where = scopeWhere(await this.scope(caller));
    const { rows, total } = await this.spend.readConsistent(() =>
      this.repo.list({ teamId: q.team_id, userId: q.user_id, keyAlias: q.key_alias }, q.page, q.size, where),
    );
    return {
      keys: q.return_full_object
        ? rows.map((r) => toKeyView(r, this.spend.unflushed(r.token)))
        : rows.map((r) => r.token),
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
  ): Promise<KeyView> {
    const token = toToken(keyRef);
    const audit = { action, keyHash: token, details: auditedFields(fields) };
    const where = scopeWhere(scope);
    const guarded = blockWhere(scope, changes.blocked, where);
    const row = token
      ? await this.repo.update(token, recordBlocker(changes, actor), actor, audit, guarded).catch(taken('key_alias'))
      : null;
    if (!row) {
      // In the caller's scope, yet not written: the block filter refused it.
      if (token && guarded !== where && (await this.repo.findByTokens([token], where)).length > 0) throw adminBlocked();
      throw notFound(keyRef);
    }
    const settled = await this.settled(row);
    await this.changed([settled], []);
    return toKeyView(settled, this.spend.unflushed(settled.token));
  }

  /** What the caller may manage (null: every key); see key-scope.ts. A virtual key's own fields come from the cache. */
  private async scope(caller: Caller): Promise<KeyScope | null> {
    // A viewer reaches every key to read; the guard refuses it every change.
    if (caller.role === 'master' || caller.role === 'admin' || caller.role === 'proxy_admin_viewer') return null;
    if (caller.role === 'team' || caller.role === 'internal_user')
      return scopeOf(caller, {
        routes:
          caller.role === 'team'
            ? (this.config.jwt.teamAllowedRoutes ?? this.config.allowedRoutes ?? DEFAULT_CALLER_ROUTES)
            : DEFAULT_CALLER_ROUTES,
        models: null,
        limited: false,
      });
    const own = caller.keyHash ? await this.cache.findByHash(caller.keyHash) : null;
    if (!own) throw Errors.unauthorized('This key no longer exists', 'invalid_api_key');
    const rateLimited = own.rpmLimit !== null || own.tpmLimit !== null || own.maxParallelRequests !== null;
    const limited = rateLimited || own.maxBudget !== null || own.expires !== null;
    return scopeOf(caller, {
      routes: own.allowedRoutes,
      models: own.modelSet ? own.models : null,
      limited,
      rateLimited,
    });
  }

  /**
   * A changed row with its spend read again so that no spend write overlaps the read (SpendWriter.readConsistent):
   * the row an UPDATE returns may miss, or double with the unwritten amounts, a spend write that committed while it
   * ran. This row goes to the key cache (budget checks) and into the answer. Deleted meanwhile: the row as written.
   */
  private async settled(row: KeyRow): Promise<KeyRow> {
    return (await this.spend.readConsistent(() => this.repo.findByToken(row.token))) ?? row;
  }

  /**
   * Apply to this instance now, then tell the others (`rowsAreNew`: `rows` were just created, under new tokens;
   * `renamed`: a regenerated key's [old, new] token, so the others move the spend they hold for it).
   */
  private changed(
    rows: KeyRow[],
    removed: string[],
    rowsAreNew = false,
    renamed?: readonly [string, string],
  ): Promise<void> {
    for (const t of removed) this.cache.drop(t);
    for (const r of rows) this.cache.put(r);
    const tokens = rows.map((r) => r.token);
    return this.events.publish({
      t: 'changed',
      k: [...removed, ...tokens],
      ...(rowsAreNew && tokens.length > 0 ? { n: tokens } : {}),
      ...(renamed ? { r: [renamed] } : {}),
    });
  }
}

/** A change that blocks a key records who did (an admin's block binds callers that are not admins); unblocking clears it. */
function recordBlocker(changes: KeyChanges, actor: Actor): KeyChanges {
  return changes.blocked === undefined ? changes : { ...changes, blockedBy: changes.blocked ? actor.role : null };
}

function teamName(row: KeyRow): string {
  return row.teamId === null ? '(none)' : JSON.stringify(row.teamId);
}

function notFound(keyRef: string) {
  return Errors.notFound(`Key not found: ${describeKeyRef(keyRef)}`, 'key_not_found', 'key');
}

/** A unique violation: which of the key's unique values is taken. */
function taken(secretField: string) {
  return (err: unknown): never => {
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
