import { Inject, Injectable } from '@nestjs/common';
import { KeyEventsService } from '../invalidation/key-events.service';
import { KeyCache } from '../key-cache.service';
import { keyModelScopeId, keyScopeId, LIMITER, type Limiter } from '../limits/limiter';
import { AccessObjects } from './access-objects.service';
import { KIND_SCOPE, type ObjectKind } from './object-kind';
import { memberScopeId } from './team-members';

/**
 * A change to teams, users or end users made here: applied to this instance's mirror before the answer goes out,
 * then broadcast so every other instance reads the objects again (the same channel as key changes).
 */
@Injectable()
export class ObjectChanges {
  constructor(
    private readonly objects: AccessObjects,
    private readonly keys: KeyCache,
    private readonly events: KeyEventsService,
    @Inject(LIMITER) private readonly limiter: Limiter,
  ) {}

  /** Objects deleted: their shared limit counts and reservations go too (one created again starts afresh). */
  async deleted(kind: ObjectKind, ids: readonly string[]): Promise<void> {
    const scopes = ids.map((id) => KIND_SCOPE[kind] + id);
    if (kind === 'team')
      for (const id of ids)
        for (const u of this.objects.members.of(id)?.users() ?? []) scopes.push(memberScopeId(id, u));
    this.limiter.forget?.(scopes);
    await this.changed(kind, ids);
  }

  /** Users gone from a team: their member limit scopes there go (one added again starts afresh). */
  async membersLeft(teamId: string, userIds: readonly string[]): Promise<void> {
    this.limiter.forget?.(userIds.map((u) => memberScopeId(teamId, u)));
    await this.changed('team', [teamId]);
  }

  async changed(kind: ObjectKind, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.objects.reload(kind, ids);
    await this.events.publish({ t: 'objects', c: kind, i: [...ids] });
  }

  /** Keys removed (with their team, or deleted): refused from now on, here and everywhere; their limit state goes. */
  keysRemoved(tokens: readonly string[]): void {
    if (tokens.length === 0) return;
    this.forgetKeys(tokens);
    for (const t of tokens) this.keys.drop(t);
    void this.events.publish({ t: 'changed', k: [...tokens] });
  }

  /** The keys' shared limit state: the key's own, and its per-model scopes this instance knows of. */
  forgetKeys(tokens: readonly string[]): void {
    if (!this.limiter.forget) return;
    const ids: string[] = [];
    for (const t of tokens) {
      ids.push(keyScopeId(t));
      const e = this.keys.get(t)?.extras;
      const groups = new Set([...(e?.modelMaxBudget?.keys() ?? []), ...(e?.modelRpm?.keys() ?? [])]);
      for (const g of e?.modelTpm?.keys() ?? []) groups.add(g);
      for (const g of groups) ids.push(keyModelScopeId(t, g));
    }
    this.limiter.forget(ids);
  }
}
