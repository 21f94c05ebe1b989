import { QueueQuery } from '@secure-inbox/protocol';
import { Hono } from 'hono';
import type { AppEnv } from '../context.js';
import { audit } from '../domain/audit.js';
import { queueCounts } from '../domain/queues.js';
import { forbidden } from '../errors.js';
import { query } from '../validate.js';

/** `GET /queues`: counts per status and per assignee filter of a staff member's Inbox. */
export const queues = new Hono<AppEnv>().get('/', query(QueueQuery), async (c) => {
  const { db } = c.get('deps');
  const viewer = c.get('viewer');
  if (viewer.role === 'customer') {
    await audit(db, { actorId: viewer.id, action: 'queues.read', outcome: 'denied' });
    throw forbidden('Queues are for staff.');
  }
  return c.json(await queueCounts(db, viewer, c.req.valid('query')));
});
