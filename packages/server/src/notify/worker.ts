/**
 * The delivery worker: sends pending e-mail notices from the outbox.
 *
 * - Batching: a recipient's notices whose causes fall within `mailBatchSeconds` of the oldest pending
 *   one (the batch leader) make one e-mail, sent once that window has closed. Once closed, no new
 *   notice can join it, so a retried batch has exactly the same content.
 * - At least once, without visible duplicates: a batch is leased (attempts + 1, next attempt pushed
 *   out) before sending and marked sent only after the SMTP server accepted it. A crash in between
 *   resends it later with the same Message-ID (derived from the leader row), which mail stores
 *   recognise as the same message.
 * - Retries with exponential backoff capped at 30 s; SMTP outages only delay delivery. A message the
 *   server refuses outright (5xx) is given up after `maxPermanentFailures` attempts.
 * - Visibility is checked again when sending: a notice whose message the recipient may no longer see
 *   is dropped, and the secure mode's view holds no subject or content at all.
 */
import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Config } from '../config.js';
import { firstRow, rows } from '../store/sql.js';
import type { Db } from '../store/sqlite/client.js';
import { dialectOf } from '../store/runtime.js';
import { userSeesMessage } from '../domain/visibility.js';
import { isPermanentMailError, mailerFor, type Mailer } from './mailer.js';
import { noticeWritesOn, type Leader, type NoticeWrites } from './notice-writes.js';
import { conversationLink, reasonText, type NotifyReason } from './outbox.js';
import { Templates, type FullItem } from './templates.js';

export const MAX_RETRY_MS = 30_000;

export interface WorkerOptions {
  mailer?: Mailer;
  templates?: Templates;
  /** How often to look for due notices. */
  pollMs?: number;
  /** First retry delay; doubles per attempt up to `retryCapMs` (at most 30 s). */
  retryBaseMs?: number;
  retryCapMs?: number;
  /** How long a batch being sent is held back from other attempts. */
  leaseMs?: number;
  maxPermanentFailures?: number;
  /** Batches sent at the same time. */
  concurrency?: number;
  now?: () => number;
  log?: (line: string) => void;
  /** Where claims and outcomes are committed; by default on this thread through `db`. */
  writes?: NoticeWrites;
  /** The link a notice points to; by default `conversationLink` (the public URL with `conversation=<id>`). The demo names the recipient too. */
  link?: NoticeLink;
}

/** The address an e-mail about a conversation sends its recipient to. */
export type NoticeLink = (publicUrl: string, conversationId: string, recipient: { id: string }) => string;

interface BatchRow {
  id: number;
  reason: NotifyReason;
  conversationId: string;
  messageSeq: number | null;
  createdAt: string;
  subject: string;
  accountId: string;
  messageBody: string | null;
  messageText: string | null;
  doNotReply: number | boolean | null;
  staffOnly: number | boolean | null;
  authorName: string | null;
}

export function retryDelay(attempts: number, baseMs: number, capMs: number): number {
  return Math.min(capMs, baseMs * 2 ** Math.max(0, attempts - 1));
}

function mailDomain(from: string): string {
  return from.match(/@([A-Za-z0-9.-]+)>?\s*$/)?.[1] ?? 'localhost';
}

export class DeliveryWorker {
  private readonly mailer: Mailer;
  private readonly templates: Templates;
  private readonly pollMs: number;
  private readonly retryBaseMs: number;
  private readonly retryCapMs: number;
  private readonly leaseMs: number;
  private readonly maxPermanentFailures: number;
  private readonly concurrency: number;
  private readonly now: () => number;
  private readonly log: (line: string) => void;
  private readonly writes: NoticeWrites;
  private readonly link: NoticeLink;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = true;
  private closing = false;

  constructor(
    private readonly db: Db,
    private readonly config: Pick<Config, 'smtpUrl' | 'dataDir' | 'mailFrom' | 'publicUrl' | 'notifyMode' | 'mailBatchSeconds' | 'mailTemplatesDir'>,
    options: WorkerOptions = {},
  ) {
    this.mailer = options.mailer ?? mailerFor(config);
    this.templates = options.templates ?? new Templates(config.mailTemplatesDir);
    this.pollMs = options.pollMs ?? 1000;
    this.retryBaseMs = options.retryBaseMs ?? 1000;
    this.retryCapMs = Math.min(options.retryCapMs ?? MAX_RETRY_MS, MAX_RETRY_MS);
    this.leaseMs = options.leaseMs ?? 60_000;
    this.maxPermanentFailures = options.maxPermanentFailures ?? 5;
    this.concurrency = options.concurrency ?? 4;
    this.now = options.now ?? Date.now;
    this.log = options.log ?? ((line) => console.warn(line));
    this.writes = options.writes ?? noticeWritesOn(db);
    this.link = options.link ?? conversationLink;
  }

  start(): this {
    if (!this.stopped) return this;
    this.stopped = false;
    this.schedule(0);
    return this;
  }

  /** Stops polling, waits for the batch in flight, closes the SMTP connections. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.closing = true;
    clearTimeout(this.timer);
    await this.running;
    this.mailer.close();
  }

  private schedule(ms: number) {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.runOnce()
        .catch((error) => this.log(`notification delivery failed: ${(error as Error).message}`))
        .finally(() => this.schedule(this.pollMs));
    }, ms);
    this.timer.unref?.();
  }

  /** Sends everything that is due; resolves with the number of e-mails the server accepted. */
  async runOnce(): Promise<number> {
    let sent = 0;
    for (;;) {
      const leaders = await this.dueLeaders();
      if (leaders.length === 0) return sent;
      let progressed = false;
      for (let i = 0; i < leaders.length; i += this.concurrency) {
        const results = await Promise.all(leaders.slice(i, i + this.concurrency).map((l) => this.deliver(l)));
        for (const r of results) {
          if (r === 'sent') sent++;
          if (r !== 'retry') progressed = true;
        }
      }
      if (!progressed || this.closing) return sent;
    }
  }

  private dueLeaders(): Promise<Leader[]> {
    const now = new Date(this.now()).toISOString();
    return rows<Leader>(
      this.db,
      sql`
      SELECT user_id AS "userId", min(id) AS "leaderId" FROM notifications
      WHERE channel = 'email' AND status = 'pending' AND next_attempt_at <= ${now}
      GROUP BY user_id ORDER BY "leaderId" LIMIT 50`,
    );
  }

  private finish(ids: number[], status: 'sent' | 'failed', error: string | null): Promise<void> {
    return this.writes.finish(ids, status, error, new Date(this.now()).toISOString());
  }

  private async deliver(leader: Leader): Promise<'sent' | 'dropped' | 'retry' | 'skipped'> {
    const batch = await this.writes.claim(leader, this.now(), this.leaseMs, this.config.mailBatchSeconds);
    if (!batch) return 'skipped';
    const recipient = await firstRow<{ id: string; name: string; email: string | null; role: string }>(
      this.db,
      sql`
      SELECT id, name, email, role FROM users WHERE id = ${leader.userId}`,
    );
    if (!recipient?.email) {
      await this.finish(batch.ids, 'failed', 'the recipient has no e-mail address');
      return 'dropped';
    }
    // The ids' list holds text on PostgreSQL: cast to the ids' type (SQLite reads it as an integer either way).
    const batchRows = await rows<BatchRow>(
      this.db,
      sql`
      SELECT n.id, n.reason, n.conversation_id AS "conversationId", n.message_seq AS "messageSeq", n.created_at AS "createdAt",
             c.subject, c.account_id AS "accountId", m.body AS "messageBody", m.text AS "messageText", m.do_not_reply AS "doNotReply", m.staff_only AS "staffOnly",
             a.name AS "authorName"
      FROM notifications n
      JOIN conversations c ON c.id = n.conversation_id
      LEFT JOIN messages m ON m.seq = n.message_seq
      LEFT JOIN users a ON a.id = m.author_id
      WHERE n.id IN (SELECT CAST(value AS BIGINT) FROM ${dialectOf(this.db).jsonEach(sql`${JSON.stringify(batch.ids)}`)})
      ORDER BY n.id`,
    );
    const visible: BatchRow[] = [];
    for (const row of batchRows) if (await this.stillVisible(recipient, row)) visible.push(row);
    const gone = batch.ids.filter((id) => !visible.some((row) => row.id === id));
    if (gone.length) await this.finish(gone, 'failed', 'the recipient may no longer see this');
    const ids = visible.map((row) => row.id);
    if (ids.length === 0) return 'dropped';

    const mail = this.compose(recipient, visible);
    const hash = createHash('sha256').update(`${leader.leaderId}:${leader.userId}:${batch.createdAt}`).digest('hex').slice(0, 16);
    const messageId = `<notice.${leader.leaderId}.${hash}@${mailDomain(this.config.mailFrom)}>`;
    try {
      await this.mailer.send({ from: this.config.mailFrom, to: { name: recipient.name, address: recipient.email }, messageId, ...mail });
    } catch (error) {
      const reason = String((error as Error)?.message ?? error).slice(0, 500);
      if (isPermanentMailError(error) && batch.attempts >= this.maxPermanentFailures) {
        await this.finish(ids, 'failed', reason);
        this.log(`notification ${messageId} refused by the mail server, given up: ${reason}`);
        return 'dropped';
      }
      const next = new Date(this.now() + retryDelay(batch.attempts, this.retryBaseMs, this.retryCapMs)).toISOString();
      await this.writes.postpone(ids, next, reason);
      return 'retry';
    }
    await this.finish(ids, 'sent', null);
    return 'sent';
  }

  private async stillVisible(recipient: { id: string; role: string }, row: BatchRow): Promise<boolean> {
    const membership = (await firstRow<{ participant: number | boolean; inAccount: number | boolean }>(
      this.db,
      sql`
      SELECT coalesce((SELECT participant FROM conversation_users WHERE conversation_id = ${row.conversationId} AND user_id = ${recipient.id}), FALSE) AS participant,
             EXISTS (SELECT 1 FROM memberships WHERE user_id = ${recipient.id} AND account_id = ${row.accountId}) AS "inAccount"`,
    ))!;
    return userSeesMessage(
      recipient,
      { participant: Boolean(membership.participant), inAccount: Boolean(membership.inAccount) },
      // A notice without a message (notify-admins) concerns only the conversation.
      { doNotReply: row.messageSeq !== null && Boolean(row.doNotReply), staffOnly: row.messageSeq !== null && Boolean(row.staffOnly) },
    );
  }

  private compose(recipient: { id: string; name: string }, rows: BatchRow[]) {
    const count = rows.length;
    const several = count > 1;
    if (this.config.notifyMode === 'secure') {
      const conversations = [...new Set(rows.map((r) => r.conversationId))];
      return this.templates.render('secure', {
        recipientName: recipient.name,
        count,
        several,
        title: '',
        links: conversations.map((id) => ({ url: this.link(this.config.publicUrl, id, recipient) })),
      });
    }
    const items: FullItem[] = rows.map((row) => ({
      subject: row.subject,
      authorName: row.authorName ?? 'Secure Inbox',
      reasonText: reasonText[row.reason] ?? '',
      html: row.messageBody ?? `<p>${escapeHtml(reasonText[row.reason] ?? '')}</p>`,
      text: row.messageText ?? reasonText[row.reason] ?? '',
      url: this.link(this.config.publicUrl, row.conversationId, recipient),
    }));
    return this.templates.render('full', { recipientName: recipient.name, count, several, title: '', items });
  }
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
