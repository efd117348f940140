import { Injectable } from '@nestjs/common';
import { DatabaseService } from '../database/database.service';
import type { KeyRecord } from './key-record';

/** Data access for virtual keys (one small class, Immich-style), so the hot path can put a cache in front. */
@Injectable()
export class KeysRepository {
  constructor(private readonly db: DatabaseService) {}

  async findByHash(token: string): Promise<KeyRecord | null> {
    const row = await this.db.prisma.virtualKey.findUnique({ where: { token } });
    if (!row) return null;
    return {
      token: row.token,
      keyName: row.keyName,
      keyAlias: row.keyAlias,
      models: row.models,
      allowedRoutes: row.allowedRoutes,
      expires: row.expires,
      maxBudget: row.maxBudget,
      spend: row.spend,
      rpmLimit: row.rpmLimit,
      tpmLimit: row.tpmLimit,
      maxParallelRequests: row.maxParallelRequests,
      teamId: row.teamId,
      userId: row.userId,
      blocked: row.blocked,
      metadata: (row.metadata ?? {}) as Record<string, unknown>,
    };
  }
}
