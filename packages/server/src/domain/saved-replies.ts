/**
 * Saved replies: text staff keep to answer with, an account's or shared by every account, with placeholders
 * (`{{customer.firstName}}`, `{{conversation.subject}}`, `{{staff.name}}`) the server fills for a conversation, so the
 * widget never fills them from data it should not hold. Staff and admins only; who sees and manages which reply is
 * decided in ./visibility.ts (`savedReplyVisible`, `seesSavedReply`, `managesSavedReply`).
 */
import {
  limits,
  savedReplyPlaceholders,
  type CreateSavedReplyBody,
  type PatchSavedReplyBody,
  type RenderedReply,
  type SavedRepliesQuery,
  type SavedReply,
  type SavedReplyPage,
  type SavedReplyPlaceholder,
} from '@secure-inbox/protocol';
import { and, asc, count, eq, gt, isNull, like, or, type SQL } from 'drizzle-orm';
import { randomBytes } from 'node:crypto';
import type { Db } from '../store/sqlite/client.js';
import { transaction } from '../store/runtime.js';
import { conversationUsers, savedReplies, users } from '../store/sqlite/schema.js';
import { ApiError, forbidden, invalid, notFound } from '../errors.js';
import { audit } from './audit.js';
import { nowIso } from './ids.js';
import { cleanPlainText, htmlToText, type RichTextBody } from './text.js';
import { actsIn, loadVisibleConversation, managesSavedReply, savedReplyVisible, seesSavedReply, usesStaffTools, type Viewer } from './visibility.js';

type Row = typeof savedReplies.$inferSelect;

/** `{{ name }}` anywhere in a body; the name as written, spaces inside the braces allowed. */
const PLACEHOLDER = /\{\{\s*([^{}]{0,100}?)\s*\}\}/g;
const known = new Set<string>(savedReplyPlaceholders);
const isKnown = (name: string): name is SavedReplyPlaceholder => known.has(name);

/** The placeholders `body` uses, in the order of the known list. */
function placeholdersIn(body: string): SavedReplyPlaceholder[] {
  const used = new Set([...body.matchAll(PLACEHOLDER)].map((m) => m[1]!));
  return savedReplyPlaceholders.filter((name) => used.has(name));
}

/** Refuses a body naming placeholders the server cannot fill, naming each of them (422 on `body`). */
function checkPlaceholders(body: string): void {
  const unknown = [...new Set([...body.matchAll(PLACEHOLDER)].map((m) => m[1]!).filter((name) => !isKnown(name)))];
  if (unknown.length === 0) return;
  const list = unknown.map((name) => `{{${name}}}`).join(', ');
  throw invalid('body', `unknown placeholders: ${list}; known: ${savedReplyPlaceholders.map((name) => `{{${name}}}`).join(', ')}`);
}

/** Folded as search folds: accents removed, lower case. */
const fold = (value: string) => value.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();

/** The words of title and text, folded, each after a space: a word prefix `p` is `LIKE '% p%'`. */
function searchText(title: string, text: string): string {
  const words = fold(`${title} ${text.replace(PLACEHOLDER, ' ')}`).match(/[\p{L}\p{N}]+/gu) ?? [];
  return ` ${[...new Set(words)].join(' ')} `;
}

const shape = (row: Row): SavedReply => ({
  id: row.id,
  accountId: row.accountId,
  title: row.title,
  body: row.body,
  placeholders: placeholdersIn(row.body),
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

/** Opaque keyset cursors over (title key, id). */
const encodePosition = (row: Pick<Row, 'titleKey' | 'id'>) => Buffer.from(JSON.stringify([row.titleKey, row.id])).toString('base64url');
function decodePosition(cursor: string): { titleKey: string; id: string } | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string') return { titleKey: value[0], id: value[1] };
  } catch {
    // not one of ours
  }
  return null;
}

/** Customers get 403 from every saved-reply route, whatever the id: the replies are staff tools. */
function staffOnly(db: Db, viewer: Viewer, action: string, targetId?: string): void {
  if (usesStaffTools(viewer)) return;
  void audit(db, { actorId: viewer.id, action, outcome: 'denied', ...(targetId ? { targetType: 'saved_reply', targetId } : {}) });
  throw forbidden('Saved replies are for staff and administrators.');
}

/** A reply the viewer may see, or the same 404 for unknown and foreign ids (a foreign one audited as denied). */
async function loadVisible(db: Db, viewer: Viewer, id: string, action: string): Promise<Row> {
  const [row] = await db.select().from(savedReplies).where(eq(savedReplies.id, id)).limit(1);
  if (!row) throw notFound('saved reply');
  if (!seesSavedReply(viewer, row.accountId)) {
    await audit(db, { actorId: viewer.id, action, outcome: 'denied', targetType: 'saved_reply', targetId: id });
    throw notFound('saved reply');
  }
  return row;
}

function mayManage(db: Db, viewer: Viewer, row: { id?: string; accountId: string | null }, action: string): void {
  if (managesSavedReply(viewer, row.accountId)) return;
  void audit(db, {
    actorId: viewer.id,
    action,
    outcome: 'denied',
    targetType: row.id ? 'saved_reply' : 'account',
    targetId: row.id ?? row.accountId ?? 'shared',
  });
  throw forbidden(
    row.accountId === null
      ? 'Shared saved replies are managed by administrators; staff use them.'
      : `You do not act in account ${row.accountId}, so you cannot manage its saved replies.`,
  );
}

/** The replies the viewer sees, by title; `q` a word prefix of title or text. */
export async function listSavedReplies(db: Db, viewer: Viewer, query: SavedRepliesQuery): Promise<SavedReplyPage> {
  staffOnly(db, viewer, 'saved_replies.read');
  if (query.accountId !== undefined && !actsIn(viewer, query.accountId)) {
    await audit(db, { actorId: viewer.id, action: 'saved_replies.read', outcome: 'denied', targetType: 'account', targetId: query.accountId });
    throw forbidden(`You do not act in account ${query.accountId}.`);
  }
  const limit = query.limit ?? limits.pageSize.default;
  const conditions: (SQL | undefined)[] = [savedReplyVisible(viewer, query.accountId)];
  if (query.q !== undefined) conditions.push(like(savedReplies.searchText, `% ${fold(query.q)}%`));
  if (query.cursor !== undefined) {
    const after = decodePosition(query.cursor);
    if (!after) throw invalid('cursor', 'is not a cursor this API returned');
    conditions.push(or(gt(savedReplies.titleKey, after.titleKey), and(eq(savedReplies.titleKey, after.titleKey), gt(savedReplies.id, after.id))));
  }
  const rows = await db
    .select()
    .from(savedReplies)
    .where(and(...conditions))
    .orderBy(asc(savedReplies.titleKey), asc(savedReplies.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { items: page.map(shape), nextCursor: rows.length > limit && last ? encodePosition(last) : null };
}

export async function getSavedReply(db: Db, viewer: Viewer, id: string): Promise<SavedReply> {
  staffOnly(db, viewer, 'saved_reply.read', id);
  return shape(await loadVisible(db, viewer, id, 'saved_reply.read'));
}

/** Saves a reply; `body` is the input's body, sanitized (rich-text.ts `prepareRichText`). */
export async function createSavedReply(db: Db, viewer: Viewer, input: CreateSavedReplyBody, body: RichTextBody): Promise<SavedReply> {
  staffOnly(db, viewer, 'saved_reply.create');
  mayManage(db, viewer, { accountId: input.accountId }, 'saved_reply.create');
  checkPlaceholders(input.body);
  const title = cleanPlainText(input.title);
  if (!title) throw invalid('title', 'has no text left after removing control characters');
  if (!body.text && !placeholdersIn(body.body).length) throw invalid('body', 'has no content left after removing what is not allowed');
  const inAccount = input.accountId === null ? isNull(savedReplies.accountId) : eq(savedReplies.accountId, input.accountId);
  const at = nowIso();
  const row: Row = {
    id: `sr_${randomBytes(12).toString('base64url')}`,
    accountId: input.accountId,
    title,
    titleKey: fold(title),
    body: body.body,
    searchText: searchText(title, body.text),
    createdBy: viewer.id,
    createdAt: at,
    updatedAt: at,
  };
  await transaction(db, async (tx) => {
    // Counted in the transaction that adds the reply: two saves at the same moment cannot both pass the bound.
    const [held] = await tx.select({ n: count() }).from(savedReplies).where(inAccount);
    if (Number(held?.n ?? 0) >= limits.savedRepliesPerAccount) {
      throw invalid(
        'accountId',
        `${input.accountId === null ? 'the shared saved replies are' : `account ${input.accountId} holds`} at most ${limits.savedRepliesPerAccount} saved replies; delete one first`,
      );
    }
    await tx.insert(savedReplies).values(row);
    await audit(tx, {
      actorId: viewer.id,
      action: 'saved_reply.create',
      outcome: 'ok',
      targetType: 'saved_reply',
      targetId: row.id,
      detail: { accountId: row.accountId },
    });
  });
  return shape(row);
}

/** Changes a reply's title or body (`body` sanitized when the patch has one). */
export async function updateSavedReply(db: Db, viewer: Viewer, id: string, patch: PatchSavedReplyBody, body: RichTextBody | undefined): Promise<SavedReply> {
  staffOnly(db, viewer, 'saved_reply.update', id);
  const row = await loadVisible(db, viewer, id, 'saved_reply.update');
  mayManage(db, viewer, row, 'saved_reply.update');
  if (patch.body !== undefined) checkPlaceholders(patch.body);
  const title = patch.title !== undefined ? cleanPlainText(patch.title) : row.title;
  if (!title) throw invalid('title', 'has no text left after removing control characters');
  if (body && !body.text && !placeholdersIn(body.body).length) throw invalid('body', 'has no content left after removing what is not allowed');
  const html = body?.body ?? row.body;
  const changed = { title, titleKey: fold(title), body: html, searchText: searchText(title, body?.text ?? htmlToText(html)), updatedAt: nowIso() };
  const updated = await transaction(db, async (tx) => {
    const [written] = await tx.update(savedReplies).set(changed).where(eq(savedReplies.id, id)).returning();
    if (!written) throw notFound('saved reply');
    await audit(tx, { actorId: viewer.id, action: 'saved_reply.update', outcome: 'ok', targetType: 'saved_reply', targetId: id });
    return written;
  });
  return shape(updated);
}

export async function deleteSavedReply(db: Db, viewer: Viewer, id: string): Promise<void> {
  staffOnly(db, viewer, 'saved_reply.delete', id);
  const row = await loadVisible(db, viewer, id, 'saved_reply.delete');
  mayManage(db, viewer, row, 'saved_reply.delete');
  await transaction(db, async (tx) => {
    await tx.delete(savedReplies).where(eq(savedReplies.id, id));
    await audit(tx, {
      actorId: viewer.id,
      action: 'saved_reply.delete',
      outcome: 'ok',
      targetType: 'saved_reply',
      targetId: id,
      detail: { accountId: row.accountId },
    });
  });
}

const htmlEscapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (ch) => htmlEscapes[ch]!);

/**
 * The reply filled in for a conversation the viewer sees, from what they may see: the first name of the conversation's
 * first customer (the earliest of its current customer participants), its subject, the viewer's name. Changes nothing.
 */
export async function renderSavedReply(db: Db, viewer: Viewer, id: string, conversationId: string): Promise<RenderedReply> {
  staffOnly(db, viewer, 'saved_reply.render', id);
  const reply = await loadVisible(db, viewer, id, 'saved_reply.render');
  const conversation = await loadVisibleConversation(db, viewer, conversationId, 'saved_reply.render');
  if (reply.accountId !== null && reply.accountId !== conversation.accountId) {
    throw new ApiError(
      422,
      'invalid',
      `conversationId: this saved reply belongs to account ${reply.accountId}, the conversation to ${conversation.accountId}.`,
      [{ field: 'conversationId', message: `is a conversation of account ${conversation.accountId}; this saved reply is for account ${reply.accountId}` }],
    );
  }
  const [customer] = await db
    .select({ name: users.name })
    .from(conversationUsers)
    .innerJoin(users, eq(users.id, conversationUsers.userId))
    .where(and(eq(conversationUsers.conversationId, conversation.id), eq(conversationUsers.participant, true), eq(users.role, 'customer')))
    .orderBy(asc(conversationUsers.joinedAt), asc(conversationUsers.userId))
    .limit(1);
  const values: Record<SavedReplyPlaceholder, string> = {
    'customer.firstName': customer?.name.trim().split(/\s+/)[0] ?? '',
    'conversation.subject': conversation.subject,
    'staff.name': viewer.name,
  };
  const missing = new Set<SavedReplyPlaceholder>();
  const body = reply.body.replace(PLACEHOLDER, (whole, name: string) => {
    if (!isKnown(name)) return whole;
    if (!values[name]) missing.add(name);
    return escapeHtml(values[name]);
  });
  return {
    savedReplyId: reply.id,
    conversationId: conversation.id,
    title: reply.title,
    body,
    missing: savedReplyPlaceholders.filter((name) => missing.has(name)),
  };
}
