import { Injectable } from '@nestjs/common';
import { KeyEventsService } from '../invalidation/key-events.service';
import { KeyCache } from '../key-cache.service';
import { AccessObjects } from './access-objects.service';
import type { ObjectKind } from './object-kind';

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
  ) {}

  async changed(kind: ObjectKind, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.objects.reload(kind, ids);
    await this.events.publish({ t: 'objects', c: kind, i: [...ids] });
  }

  /** Keys removed with their team: refused from now on, here and everywhere. */
  keysRemoved(tokens: readonly string[]): void {
    if (tokens.length === 0) return;
    for (const t of tokens) this.keys.drop(t);
    void this.events.publish({ t: 'changed', k: [...tokens] });
  }
}
