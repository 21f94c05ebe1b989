/**
 * Ratings: a customer rates a conversation once it is answered or solved (1–5 and an optional comment), once, and may
 * change it for `limits.ratingChangeDays`. Staff and admins see the ratings and a per-account summary; who sees which
 * rating is decided in ./visibility.ts (`ratingVisible`, `mayRate`).
 */
import { limits, type RateBody, type Rating, type RatingSummary, type Role, type StaffKind } from '@secure-inbox/protocol';
import { and, asc, count, eq, gt, gte, lt } from 'drizzle-orm';
import type { Db } from '../store/sqlite/client.js';
import { transaction } from '../store/runtime.js';
import { ratings, users } from '../store/sqlite/schema.js';
import { ApiError, forbidden, invalid } from '../errors.js';
import { appendEvents, conversationAudience } from '../realtime/fanout.js';
import { audit } from './audit.js';
import { nowIso } from './ids.js';
import { cleanPlainText } from './text.js';
import { userRef } from './users.js';
import { actsIn, loadVisibleConversation, mayRate, ratingVisible, receivesStaffOnlyNews, seesAllRatings, type Viewer } from './visibility.js';

const DAY = 24 * 60 * 60 * 1000;
const changeWindow = limits.ratingChangeDays * DAY;
const ratable = new Set(['answered', 'resolved']);

interface RatingRow {
  score: number;
  comment: string | null;
  createdAt: string;
  updatedAt: string;
  userId: string;
  name: string;
  role: Role;
  staffKind: StaffKind | null;
}

const shape = (row: RatingRow): Rating => ({
  score: row.score,
  comment: row.comment,
  author: userRef({ id: row.userId, name: row.name, role: row.role, staffKind: row.staffKind }),
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
  changeableUntil: new Date(Date.parse(row.createdAt) + changeWindow).toISOString(),
});

const ratingColumns = {
  score: ratings.score,
  comment: ratings.comment,
  createdAt: ratings.createdAt,
  updatedAt: ratings.updatedAt,
  userId: users.id,
  name: users.name,
  role: users.role,
  staffKind: users.staffKind,
};

/** The ratings of a conversation the viewer sees that the viewer may see, oldest first. */
export async function ratingsOf(db: Db, viewer: Viewer, conversationId: string): Promise<Rating[]> {
  const rows: RatingRow[] = await db
    .select(ratingColumns)
    .from(ratings)
    .innerJoin(users, eq(users.id, ratings.userId))
    .where(and(eq(ratings.conversationId, conversationId), ratingVisible(viewer)))
    .orderBy(asc(ratings.createdAt), asc(ratings.userId));
  return rows.map(shape);
}

/** Gives or changes the viewer's rating of a conversation they see. */
export async function rateConversation(db: Db, viewer: Viewer, conversationId: string, input: RateBody): Promise<Rating> {
  const conversation = await loadVisibleConversation(db, viewer, conversationId, 'conversation.rate');
  if (!mayRate(viewer)) {
    await audit(db, { actorId: viewer.id, action: 'conversation.rate', outcome: 'denied', targetType: 'conversation', targetId: conversationId });
    throw forbidden('Only customers rate conversations; staff and admins see the ratings.');
  }
  const [existing] = await db
    .select({ createdAt: ratings.createdAt })
    .from(ratings)
    .where(and(eq(ratings.conversationId, conversationId), eq(ratings.userId, viewer.id)));
  const now = Date.now();
  if (!existing && !ratable.has(conversation.status)) {
    throw new ApiError(409, 'conflict', `A conversation can be rated once it is answered or solved; this one is ${conversation.status}.`);
  }
  const closed = () =>
    new ApiError(409, 'conflict', `Your rating can no longer be changed: a rating may be changed for ${limits.ratingChangeDays} days after it is given.`);
  if (existing && Date.parse(existing.createdAt) + changeWindow <= now) throw closed();

  const comment = input.comment ? cleanPlainText(input.comment, true) || null : null;
  const at = nowIso();
  const row = await transaction(db, async (tx) => {
    // The change is refused here too when the window closed since the read above.
    const [written] = await tx
      .insert(ratings)
      .values({ conversationId, userId: viewer.id, accountId: conversation.accountId, score: input.score, comment, createdAt: at, updatedAt: at })
      .onConflictDoUpdate({
        target: [ratings.conversationId, ratings.userId],
        set: { score: input.score, comment, updatedAt: at },
        setWhere: gt(ratings.createdAt, new Date(now - changeWindow).toISOString()),
      })
      .returning({ createdAt: ratings.createdAt, updatedAt: ratings.updatedAt });
    if (!written) throw closed();
    await audit(tx, {
      actorId: viewer.id,
      action: 'conversation.rate',
      outcome: 'ok',
      targetType: 'conversation',
      targetId: conversationId,
      detail: { score: input.score, changed: existing !== undefined },
    });
    // Staff viewing the conversation reload it once it is committed; customers are not told (a rating is staff data).
    const staff = (await conversationAudience(tx, conversationId)).filter((u) => receivesStaffOnlyNews(u, u));
    await appendEvents(
      tx,
      staff.map((u) => u.id),
      'conversation.updated',
      { conversationId },
    );
    return written;
  });
  const [author] = await db.select({ name: users.name, role: users.role, staffKind: users.staffKind }).from(users).where(eq(users.id, viewer.id));
  return shape({
    score: input.score,
    comment,
    ...row,
    userId: viewer.id,
    name: author?.name ?? viewer.name,
    role: author?.role ?? viewer.role,
    staffKind: author?.staffKind ?? null,
  });
}

/** An ISO time of the query (`2026-12-01` or a date-time with offset), normalised as the stored times are. */
function instant(field: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const at = Date.parse(value);
  if (Number.isNaN(at)) throw invalid(field, 'is not a date');
  return at;
}

/** Counts per score and the mean of an account's ratings given or changed within [from, to). Staff and admins of the account. */
export async function ratingSummary(db: Db, viewer: Viewer, query: { accountId: string; from?: string; to?: string }): Promise<RatingSummary> {
  const { accountId } = query;
  if (!actsIn(viewer, accountId) || !seesAllRatings(viewer)) {
    await audit(db, { actorId: viewer.id, action: 'ratings.read', outcome: 'denied', targetType: 'account', targetId: accountId });
    throw forbidden(actsIn(viewer, accountId) ? 'Ratings are for staff and admins.' : `You do not act in account ${accountId}.`);
  }
  const to = instant('to', query.to, Date.now());
  const from = instant('from', query.from, to - 30 * DAY);
  if (from >= to) throw invalid('from', 'must be before to');
  if (to - from > limits.ratingPeriodDays * DAY) throw invalid('to', `a summary covers at most ${limits.ratingPeriodDays} days after from`);
  const fromIso = new Date(from).toISOString();
  const toIso = new Date(to).toISOString();
  const rows = await db
    .select({ score: ratings.score, n: count() })
    .from(ratings)
    .where(and(eq(ratings.accountId, accountId), gte(ratings.updatedAt, fromIso), lt(ratings.updatedAt, toIso)))
    .groupBy(ratings.score);
  const counts = { '1': 0, '2': 0, '3': 0, '4': 0, '5': 0 };
  let total = 0;
  let sum = 0;
  for (const row of rows) {
    const n = Number(row.n);
    const key = String(row.score) as keyof typeof counts;
    if (key in counts) counts[key] = n;
    total += n;
    sum += row.score * n;
  }
  return { accountId, from: fromIso, to: toIso, count: total, mean: total ? Math.round((sum / total) * 100) / 100 : null, counts };
}
