import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DatabaseService } from '../../src/database/database.service';
import { MemberUsersRepository } from '../../src/keys/teams/member-users.repository';

type Row = { userId: string; userEmail: string | null; teams: string[] };

/** A database of users in memory, counting the queries a transaction makes. */
function fakeDatabase(users: Row[]) {
  let queries = 0;
  const audits: string[] = [];
  const count = <T>(v: T) => {
    queries++;
    return Promise.resolve(v);
  };
  const insert = (data: { userId: string; userEmail: string | null; teams: string[] }[]) => {
    const made = data.filter((d) => !users.some((u) => u.userId === d.userId));
    users.push(...made.map((d) => ({ userId: d.userId, userEmail: d.userEmail, teams: [...d.teams] })));
    return made;
  };
  const tx = {
    user: {
      findMany: ({ where }: { where: { userEmail: string | { in: string[] } } }) => {
        const wanted = typeof where.userEmail === 'string' ? [where.userEmail] : where.userEmail.in;
        return count(users.filter((u) => u.userEmail !== null && wanted.includes(u.userEmail)));
      },
      createMany: ({ data }: { data: Row[] }) => count({ count: insert(data).length }),
      createManyAndReturn: ({ data }: { data: Row[] }) => count(insert(data).map((u) => ({ userId: u.userId }))),
      updateMany: ({
        where,
        data,
      }: {
        where: { userId: string | { in: string[] } };
        data: { teams: { push: string } };
      }) => {
        const ids = typeof where.userId === 'string' ? [where.userId] : where.userId.in;
        for (const u of users)
          if (ids.includes(u.userId) && !u.teams.includes(data.teams.push)) u.teams.push(data.teams.push);
        return count({ count: ids.length });
      },
    },
    auditLog: {
      create: ({ data }: { data: { objectId: string } }) => count(audits.push(data.objectId)),
      createMany: ({ data }: { data: { objectId: string }[] }) => count(audits.push(...data.map((d) => d.objectId))),
    },
  };
  const db = { prisma: { $transaction: (fn: (t: typeof tx) => Promise<unknown>) => fn(tx) } };
  return { db: db as unknown as DatabaseService, queries: () => queries, audits };
}

const actor = { id: 'master_key', kind: 'master' } as never;

describe('team members as stored users (member_add)', () => {
  it('1000 members are joined in a few queries, not a few per member (the transaction has a time limit)', async () => {
    const users: Row[] = [{ userId: 'known', userEmail: null, teams: ['other'] }];
    const f = fakeDatabase(users);
    const members = [
      { user_id: 'known' },
      ...Array.from({ length: 999 }, (_, i) => ({ user_id: `m${i}`, user_email: `m${i}@example.com` })),
    ];
    const created = await new MemberUsersRepository(f.db).join('team-1', members, actor);
    assert.ok(f.queries() <= 5, `${f.queries()} queries`);
    assert.equal(created.length, 999);
    assert.deepEqual(f.audits, created, 'one user.new audit row per user created');
    assert.equal(users.length, 1000);
    assert.ok(users.every((u) => u.teams.includes('team-1')));
    assert.deepEqual(users[0].teams, ['other', 'team-1']);
    assert.equal(users[1].userEmail, 'm0@example.com');
  });

  it('a member named by email alone is the user of that email, else one new user however often it is listed', async () => {
    const users: Row[] = [{ userId: 'u-a', userEmail: 'a@example.com', teams: [] }];
    const f = fakeDatabase(users);
    const created = await new MemberUsersRepository(f.db).join(
      'team-1',
      [{ user_email: 'a@example.com' }, { user_email: 'new@example.com' }, { user_email: 'new@example.com' }],
      actor,
    );
    assert.equal(created.length, 1);
    assert.equal(users.length, 2);
    assert.deepEqual(
      users.map((u) => [u.userEmail, u.teams]),
      [
        ['a@example.com', ['team-1']],
        ['new@example.com', ['team-1']],
      ],
    );
    users.push({ userId: 'u-a2', userEmail: 'a@example.com', teams: [] });
    await assert.rejects(new MemberUsersRepository(f.db).join('team-2', [{ user_email: 'a@example.com' }], actor), {
      status: 400,
    });
  });
});
