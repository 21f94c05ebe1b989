import type { Role, StaffKind, UserRef } from '@secure-inbox/protocol';
import { and, eq, notInArray } from 'drizzle-orm';
import type { Identity } from '../auth/token.js';
import type { Db } from '../store/sqlite/client.js';
import { accounts, memberships, users } from '../store/sqlite/schema.js';
import { noteDirectoryChange } from './change-versions.js';
import { nowIso } from './ids.js';

/**
 * Keeps the users table in step with the tokens: the user and their memberships are upserted from
 * the claims (`write`, domain/writes.ts) the first time a fingerprint of them is seen, so that a busy
 * reader costs no write at all. Resolves once the rows are committed.
 */
export function createUserSync(db: Db, write: (identity: Identity) => Promise<boolean>) {
  const seen = new Map<string, string>();
  // Requests of one user that arrive while their rows are being written wait for that one write.
  const writing = new Map<string, { fingerprint: string; done: Promise<void> }>();
  return function syncUser(identity: Identity): Promise<void> | undefined {
    const fingerprint = JSON.stringify([identity.name, identity.email, identity.role, identity.accounts, identity.staffKind ?? null]);
    if (seen.get(identity.id) === fingerprint) return undefined;
    const inFlight = writing.get(identity.id);
    if (inFlight?.fingerprint === fingerprint) return inFlight.done;
    const done = write(identity)
      .then((changed) => {
        // Names and roles show in inbox pages (last message's author), memberships decide what is seen: when
        // they changed, kept pages are no longer current. A first sign-in after a start that rewrites the same
        // name, role and accounts changes none of them.
        if (changed) noteDirectoryChange(db);
        if (seen.size > 50_000) seen.clear();
        seen.set(identity.id, fingerprint);
      })
      .finally(() => {
        if (writing.get(identity.id)?.done === done) writing.delete(identity.id);
      });
    writing.set(identity.id, { fingerprint, done });
    return done;
  };
}

/**
 * Upserts the user and their memberships from the token's claims, in the caller's transaction (a group commit's
 * job, domain/write-jobs.ts). Returns whether what others may see of them changed: their name, role or staff kind,
 * or their memberships (a user new to the table counts as changed); the e-mail address and `updated_at` show in no page.
 */
export async function writeUser(db: Db, identity: Identity): Promise<boolean> {
  const staffKind = identity.staffKind ?? null;
  const [before] = await db.select({ name: users.name, role: users.role, staffKind: users.staffKind }).from(users).where(eq(users.id, identity.id));
  const held = await db.select({ accountId: memberships.accountId }).from(memberships).where(eq(memberships.userId, identity.id));
  const wanted = identity.accounts === '*' ? [] : [...new Set(identity.accounts)];
  const changed =
    before === undefined ||
    before.name !== identity.name ||
    before.role !== identity.role ||
    before.staffKind !== staffKind ||
    held.length !== wanted.length ||
    held.some((m) => !wanted.includes(m.accountId));
  await db
    .insert(users)
    .values({ id: identity.id, name: identity.name, email: identity.email, role: identity.role, staffKind })
    .onConflictDoUpdate({
      target: users.id,
      set: { name: identity.name, email: identity.email, role: identity.role, staffKind, updatedAt: nowIso() },
    });
  const ids = identity.accounts;
  if (ids === '*' || ids.length === 0) {
    await db.delete(memberships).where(eq(memberships.userId, identity.id));
    return changed;
  }
  await db.delete(memberships).where(and(eq(memberships.userId, identity.id), notInArray(memberships.accountId, ids)));
  for (const accountId of ids) {
    await db.insert(accounts).values({ id: accountId }).onConflictDoNothing();
    await db.insert(memberships).values({ userId: identity.id, accountId }).onConflictDoNothing();
  }
  return changed;
}

/** A person as the API shows them: `staffKind` only when there is one. */
export function userRef(row: { id: string; name: string; role: Role; staffKind?: StaffKind | null }): UserRef {
  return row.staffKind ? { id: row.id, name: row.name, role: row.role, staffKind: row.staffKind } : { id: row.id, name: row.name, role: row.role };
}
