/**
 * `GET /api/v1/events`: the caller's event stream (text/event-stream). Events come from the durable
 * per-user log; a reconnecting client sends `Last-Event-ID` and receives what it missed. Visibility was
 * decided when the event was written and is checked again here, so an event about a conversation or
 * message the caller can no longer see is not delivered.
 */
import { streamClosedEvent, type EventType } from '@secure-inbox/protocol';
import { sql } from 'drizzle-orm';
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { decodeJwt } from 'jose';
import type { AppEnv } from '../context.js';
import type { Db } from '../store/sqlite/client.js';
import { dialectOf } from '../store/runtime.js';
import { eventsAfter, latestEventId } from '../store/events.js';
import { audit } from '../domain/audit.js';
import { inboxUnreadCount } from '../domain/conversations.js';
import { conversationVisible, messageVisible, type Viewer } from '../domain/visibility.js';
import { ApiError } from '../errors.js';
import { clientAddress, RateWindows, refuseAudited } from '../rate-limit.js';
import { eventBus } from './bus.js';
import { streamRegistry, type StreamCloseReason } from './streams.js';

export interface RealtimeOptions {
  /** Milliseconds between comment lines that keep proxies from closing an idle stream (15–25 s in production). */
  heartbeatMs?: number;
  /** Aborted when the server shuts down: every stream then sends a retry hint and ends, and clients reconnect elsewhere. */
  closing?: AbortSignal;
}

export const DEFAULT_HEARTBEAT_MS = 20_000;
const BATCH = 500;
/** Seconds an address at its stream cap is asked to wait. */
const STREAM_RETRY_AFTER_S = 30;
/** Browsers reconnect after this many milliseconds when the stream drops. */
const RETRY_MS = 3000;
/** The retry hint of a stream ended by a shutdown: soon, on whichever instance the balancer picks. */
const SHUTDOWN_RETRY_MS = 500;

interface EventRow {
  id: number;
  type: EventType;
  data: string;
}

type Parsed = { row: EventRow; data: { conversationId: string; messageId?: string } };

/**
 * For one viewer, for the life of their stream: of the rows read, the ones the viewer may still see. The queries are
 * compiled once per stream; each batch of events then costs two prepared lookups.
 */
function visibilityFilter(db: Db, viewer: Viewer): (rows: EventRow[]) => Promise<Parsed[]> {
  const ids = sql`(SELECT value FROM ${dialectOf(db).jsonEach(sql`${sql.placeholder('ids')}`)})`;
  const conversations = db
    .select({ id: sql<string>`c.id` })
    .from(sql`conversations c LEFT JOIN conversation_users cu ON cu.conversation_id = c.id AND cu.user_id = ${viewer.id}`)
    .where(sql`c.id IN ${ids} AND ${conversationVisible(viewer)}`)
    .prepare();
  const messages = db
    .select({ id: sql<string>`m.id` })
    .from(sql`messages m`)
    .where(sql`m.id IN ${ids} AND ${messageVisible(viewer)}`)
    .prepare();
  const visible = async (query: typeof conversations, list: string[]) =>
    new Set(list.length === 0 ? [] : (await query.execute({ ids: JSON.stringify([...new Set(list)]) })).map((r) => r.id));
  return async (rows) => {
    const parsed: Parsed[] = rows.map((row) => ({ row, data: JSON.parse(row.data) }));
    const seenConversations = await visible(
      conversations,
      parsed.map((p) => p.data.conversationId),
    );
    const seenMessages = await visible(
      messages,
      parsed.flatMap((p) => (p.data.messageId ? [p.data.messageId] : [])),
    );
    return parsed.filter((p) => seenConversations.has(p.data.conversationId) && (p.data.messageId === undefined || seenMessages.has(p.data.messageId)));
  };
}

/** Longest wait `setTimeout` takes (about 24.8 days); a token that lives longer is re-checked then. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * When the caller's token expires, in epoch milliseconds. The token was verified before the route ran; only its
 * `exp` is read here. The stream ends then, so a session whose token expired receives nothing more: the client
 * reconnects with a fresh token and `Last-Event-ID`, and misses nothing.
 */
function tokenExpiresAt(header: string | undefined): number {
  const token = header?.match(/^Bearer (.+)$/)?.[1];
  const exp = token ? decodeJwt(token).exp : undefined;
  return typeof exp === 'number' ? exp * 1000 : Number.POSITIVE_INFINITY;
}

function parseLastEventId(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  if (!/^\d{1,15}$/.test(header.trim())) {
    throw new ApiError(422, 'invalid', 'Last-Event-ID must be the id of an event this stream sent (a whole number).', [
      { field: 'Last-Event-ID', message: 'is not an event id' },
    ]);
  }
  return Number(header.trim());
}

export function eventsRoute(options: RealtimeOptions = {}) {
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  let opens: RateWindows | undefined;
  return new Hono<AppEnv>().get('/events', async (c) => {
    const { db, config } = c.get('deps');
    const viewer = c.get('viewer');
    // Opening a stream costs more than most reads; a widget opens one per page and reconnects after a drop, backing off.
    // Counted across instances on PostgreSQL (rate-limit.ts), so a client reconnecting through every instance in turn meets it too.
    opens ??= new RateWindows('stream-opens', config.streamOpensPerMinute);
    const tooOften = await opens.hit(db, viewer.id);
    if (tooOften) await refuseAudited(db, 'event streams opened', config.streamOpensPerMinute, tooOften.retryAfter, tooOften.first, viewer.id, 'stream-opens');
    const registry = streamRegistry(db);
    const address = clientAddress(c, config.trustProxy);
    if (!registry.admits(address, config.streamsPerAddress)) {
      throw new ApiError(
        429,
        'rate_limited',
        `Too many open event streams from your network: at most ${config.streamsPerAddress}. Try again in ${STREAM_RETRY_AFTER_S} s.`,
        undefined,
        { 'Retry-After': String(STREAM_RETRY_AFTER_S) },
      );
    }
    const resumeFrom = parseLastEventId(c.req.header('last-event-id'));
    const expiresAt = tokenExpiresAt(c.req.header('authorization'));
    // Still inside the verifier's clock-skew allowance: a stream would end at once, so ask for a fresh token now.
    if (expiresAt <= Date.now()) {
      await audit(db, { actorId: null, action: 'auth', outcome: 'denied', detail: { reason: 'the token has expired', path: c.req.path } });
      throw new ApiError(
        401,
        'unauthorized',
        'Sign-in rejected: the token has expired; mint a fresh token (tokenProvider is called again after a 401).',
        { reason: 'expired' },
        {
          'WWW-Authenticate': 'Bearer',
        },
      );
    }
    const bus = eventBus(db);
    // Read the starting point before answering, so nothing written after the request is missed.
    let lastId = resumeFrom ?? (await latestEventId(db, viewer.id));
    c.header('X-Accel-Buffering', 'no');

    const stillVisible = visibilityFilter(db, viewer);

    return streamSSE(c, async (stream) => {
      let wake: (() => void) | undefined;
      let dirty = true;
      /** Ephemeral frames waiting to be written (domain/typing.ts): no id, never stored. */
      const frames: string[] = [];
      let expired = false;
      let closedBecause: StreamCloseReason | undefined;
      let closing = options.closing?.aborted ?? false;
      const close = () => {
        closing = true;
        wake?.();
      };
      options.closing?.addEventListener('abort', close, { once: true });
      const unsubscribe = bus.subscribe(viewer.id, (frame) => {
        // A stream that cannot keep up drops ephemeral frames rather than holding them.
        if (frame === undefined) dirty = true;
        else if (frames.length < 100) frames.push(frame);
        wake?.();
      });
      // Past the user's cap their oldest stream ends, saying why, so the client does not open it again.
      const unregister = registry.open(viewer.id, address, config.streamsPerUser, (reason) => {
        closedBecause = reason;
        wake?.();
      });
      const heartbeat = setInterval(() => {
        void stream.write(': keep-alive\n\n');
      }, heartbeatMs);
      heartbeat.unref?.();
      const expire = (): ReturnType<typeof setTimeout> =>
        setTimeout(
          () => {
            if (Date.now() < expiresAt) return void (expiry = expire());
            expired = true;
            wake?.();
          },
          Math.min(MAX_TIMER_MS, Math.max(0, expiresAt - Date.now())),
        );
      let expiry = Number.isFinite(expiresAt) ? expire() : undefined;
      const stop = () => {
        clearInterval(heartbeat);
        clearTimeout(expiry);
        unsubscribe();
        unregister();
        options.closing?.removeEventListener('abort', close);
        wake?.();
      };
      stream.onAbort(stop);
      try {
        await stream.write(`retry: ${RETRY_MS}\n: connected\n\n`);
        // Ends at the token's expiry; returning closes the response.
        while (!stream.aborted && !stream.closed && !expired && !closedBecause && !closing) {
          if (frames.length) {
            await stream.write(frames.splice(0).join(''));
            continue;
          }
          if (!dirty) {
            await new Promise<void>((resolve) => (wake = resolve));
            wake = undefined;
            continue;
          }
          dirty = false;
          const rows = (await eventsAfter(db, viewer.id, lastId, BATCH)) as EventRow[];
          if (rows.length === 0) continue;
          lastId = rows[rows.length - 1]!.id;
          if (rows.length === BATCH) dirty = true;
          const deliver = await stillVisible(rows);
          const unread = deliver.some((d) => d.row.type === 'unread.changed') ? await inboxUnreadCount(db, viewer) : undefined;
          let chunk = '';
          for (const { row, data } of deliver) {
            // The stored JSON is sent as written; only `unread.changed` gains the count, which is the viewer's own.
            const payload = row.type === 'unread.changed' ? JSON.stringify({ ...data, unread }) : row.data;
            chunk += `event: ${row.type}\ndata: ${payload}\nid: ${row.id}\n\n`;
          }
          // Events the viewer may no longer see still move the position, so a reconnect does not re-read them.
          if (chunk === '') chunk = `id: ${lastId}\n\n`;
          await stream.write(chunk);
        }
        if (closedBecause && !stream.aborted && !stream.closed) {
          // Its id is the position the stream had reached, so a client that opens the stream again later misses nothing.
          await stream.write(
            `event: ${streamClosedEvent}\ndata: ${JSON.stringify({ reason: closedBecause, limit: config.streamsPerUser })}\nid: ${lastId}\n\n`,
          );
        }
        if (closing && !stream.aborted && !stream.closed) await stream.write(`retry: ${SHUTDOWN_RETRY_MS}\n: the server is shutting down\n\n`);
      } finally {
        stop();
      }
    });
  });
}
