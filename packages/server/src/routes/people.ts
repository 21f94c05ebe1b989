import { AccountQuery, PutAccountBody, TopicsQuery, type Role, type StaffKind } from '@secure-inbox/protocol';
import { sql } from 'drizzle-orm';
import { Hono } from 'hono';
import type { AppEnv } from '../context.js';
import { audit } from '../domain/audit.js';
import { keptFolderCounts } from '../domain/list-cache.js';
import { statusUpdates } from '../domain/messages.js';
import { userRef } from '../domain/users.js';
import { actsIn, topicVisible } from '../domain/visibility.js';
import { forbidden } from '../errors.js';
import { transaction } from '../store/runtime.js';
import { execute, rows } from '../store/sql.js';
import { jsonBody, query } from '../validate.js';

/** `/me`, topics, the directory, the Status tab and account provisioning. */
export const people = new Hono<AppEnv>()
  .get('/me', async (c) => {
    const { db } = c.get('deps');
    const viewer = c.get('viewer');
    // One query for the token's accounts (asked on every live change), answered in the token's order.
    let accounts: { id: string; name: string }[];
    if (viewer.accounts === '*') {
      accounts = await rows<{ id: string; name: string }>(db, sql`SELECT id, coalesce(name, id) AS name FROM accounts ORDER BY coalesce(name, id)`);
    } else {
      const ids = viewer.accounts;
      const named = ids.length
        ? await rows<{ id: string; name: string | null }>(
            db,
            sql`SELECT id, name FROM accounts WHERE id IN (${sql.join(
              ids.map((id) => sql`${id}`),
              sql`, `,
            )})`,
          )
        : [];
      const names = new Map(named.map((row) => [row.id, row.name]));
      accounts = ids.map((id) => ({ id, name: names.get(id) ?? id }));
    }
    const folders = await keptFolderCounts(db, viewer, c.get('deps').config.pageCacheBytes > 0);
    return c.json({
      user: { id: viewer.id, name: viewer.name, email: viewer.email, role: viewer.role },
      accounts,
      unread: { inbox: folders.inbox.unread },
      folders,
    });
  })
  .get('/topics', query(TopicsQuery), async (c) => {
    const { db } = c.get('deps');
    const viewer = c.get('viewer');
    const { accountId } = c.req.valid('query');
    if (accountId !== undefined && !actsIn(viewer, accountId)) {
      await audit(db, { actorId: viewer.id, action: 'topics.read', outcome: 'denied', targetType: 'account', targetId: accountId });
      throw forbidden(`You do not act in account ${accountId}.`);
    }
    const items = await rows<{ id: string; name: string; description: string; accountId: string | null }>(
      db,
      sql`
      SELECT t.id, t.name, t.description, t.account_id AS "accountId" FROM topics t
      WHERE ${topicVisible(viewer, accountId)} ORDER BY t.position, t.name`,
    );
    return c.json({ items });
  })
  .get('/directory', query(AccountQuery), async (c) => {
    const { db } = c.get('deps');
    const viewer = c.get('viewer');
    const { accountId } = c.req.valid('query');
    if (!actsIn(viewer, accountId)) {
      await audit(db, { actorId: viewer.id, action: 'directory.read', outcome: 'denied', targetType: 'account', targetId: accountId });
      throw forbidden(`You do not act in account ${accountId}.`);
    }
    const members = await rows<{ id: string; name: string; role: Role; staffKind: StaffKind | null }>(
      db,
      sql`
      SELECT u.id, u.name, u.role, u.staff_kind AS "staffKind" FROM memberships ms JOIN users u ON u.id = ms.user_id
      WHERE ms.account_id = ${accountId} AND u.id <> ${viewer.id} ORDER BY u.name, u.id`,
    );
    return c.json({ items: members.map(userRef) });
  })
  .get('/status-updates', query(AccountQuery), async (c) => {
    const { accountId } = c.req.valid('query');
    return c.json({ items: await statusUpdates(c.get('deps').db, c.get('viewer'), accountId) });
  })
  .put('/accounts/:id', jsonBody(PutAccountBody), async (c) => {
    const { db } = c.get('deps');
    const viewer = c.get('viewer');
    const id = c.req.param('id');
    if (viewer.role !== 'admin') {
      await audit(db, { actorId: viewer.id, action: 'account.update', outcome: 'denied', targetType: 'account', targetId: id });
      throw forbidden('Only admins can provision accounts.');
    }
    const { name } = c.req.valid('json');
    await transaction(db, async (tx) => {
      await execute(tx, sql`INSERT INTO accounts (id, name) VALUES (${id}, ${name}) ON CONFLICT (id) DO UPDATE SET name = ${name}`);
      await audit(tx, { actorId: viewer.id, action: 'account.update', outcome: 'ok', targetType: 'account', targetId: id, detail: { name } });
    });
    return c.json({ account: { id, name } });
  });
