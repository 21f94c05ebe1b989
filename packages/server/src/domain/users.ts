import { and, eq, notInArray, sql } from 'drizzle-orm';
import type { Identity } from '../auth/token.js';
import { writeTx, type Db } from '../db/client.js';
import { accounts, memberships, users } from '../db/schema.js';
import { noteDirectoryChange } from './change-versions.js';

/**
 * Upserts the user and their memberships from the token's claims. The last fingerprint per user is
 * remembered so that a busy reader costs no write at all.
 */
export function createUserSync(db: Db) {
  const seen = new Map<string, string>();
  return function syncUser(identity: Identity): void {
    const fingerprint = JSON.stringify([identity.name, identity.email, identity.role, identity.accounts]);
    if (seen.get(identity.id) === fingerprint) return;
    writeTx(db, () => {
      db.insert(users)
        .values({ id: identity.id, name: identity.name, email: identity.email, role: identity.role })
        .onConflictDoUpdate({
          target: users.id,
          set: { name: identity.name, email: identity.email, role: identity.role, updatedAt: sql`(strftime('%Y-%m-%dT%H:%M:%fZ','now'))` },
        })
        .run();
      if (identity.accounts === '*') {
        db.delete(memberships).where(eq(memberships.userId, identity.id)).run();
        return;
      }
      const ids = identity.accounts;
      if (ids.length === 0) {
        db.delete(memberships).where(eq(memberships.userId, identity.id)).run();
        return;
      }
      db.delete(memberships).where(and(eq(memberships.userId, identity.id), notInArray(memberships.accountId, ids))).run();
      for (const accountId of ids) {
        db.insert(accounts).values({ id: accountId }).onConflictDoNothing().run();
        db.insert(memberships).values({ userId: identity.id, accountId }).onConflictDoNothing().run();
      }
    });
    // Names and roles show in inbox pages (last message's author): kept pages are no longer current.
    noteDirectoryChange(db);
    if (seen.size > 50_000) seen.clear();
    seen.set(identity.id, fingerprint);
  };
}
