/**
 * The generator writes what the app would: pointers, per-user state, properties and search rows
 * agree with the messages, and the app serves the result as it serves its own data.
 * (A small database, a few seconds; not part of `pnpm test`: run with `pnpm --filter @secure-inbox/bench test`.)
 */
import Database from 'better-sqlite3';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../packages/server/src/app.js';
import { loadConfig } from '../../packages/server/src/config.js';
import { openDb, type Db } from '../../packages/server/src/store/sqlite/client.js';
import { searchScopeTokens } from '../../packages/server/src/store/sqlite/search.js';
import { ensureDb, type GeneratedMeta, type Persona } from '../generate.js';
import { SECRET, tokenFor } from '../lib/server.js';

let meta: GeneratedMeta;
let db: Db;
let raw: Database.Database;
let app: ReturnType<typeof createApp>;

async function call(user: Persona, method: string, path: string, body?: unknown) {
  const res = await app.request(`/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${await tokenFor(user)}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, json: (await res.json()) as any };
}

beforeAll(() => {
  const generated = ensureDb('3000', { log: () => {} });
  meta = generated.meta;
  const dir = mkdtempSync(join(tmpdir(), 'secure-inbox-bench-'));
  const file = join(dir, 'inbox.db');
  copyFileSync(generated.file, file);
  const config = loadConfig({ SECURE_INBOX_JWT_SECRET: SECRET, SECURE_INBOX_DB: file, SECURE_INBOX_RATE_LIMIT: '0', SECURE_INBOX_DATA_DIR: dir });
  db = openDb(file);
  raw = db.$client;
  app = createApp({ db, config });
});

afterAll(() => raw?.close());

describe('generated data', () => {
  it('has the conversation pointers insertMessage keeps', () => {
    const wrong = raw
      .prepare(
        `SELECT c.id FROM conversations c WHERE
           c.last_seq <> (SELECT max(seq) FROM messages m WHERE m.conversation_id = c.id)
        OR c.first_seq <> (SELECT min(seq) FROM messages m WHERE m.conversation_id = c.id)
        OR c.last_public_seq <> coalesce((SELECT max(seq) FROM messages m WHERE m.conversation_id = c.id AND m.do_not_reply = 0), 0)
        OR c.updated_at <> (SELECT created_at FROM messages m WHERE m.seq = c.last_seq)`,
      )
      .all();
    expect(wrong).toEqual([]);
    expect((raw.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n).toBe(3000);
  });

  it('makes every author a participant with their last sent message, read at least that far', () => {
    const wrong = raw
      .prepare(
        `SELECT m.conversation_id, m.author_id FROM messages m
         LEFT JOIN conversation_users cu ON cu.conversation_id = m.conversation_id AND cu.user_id = m.author_id
         GROUP BY m.conversation_id, m.author_id
         HAVING max(cu.participant) IS NOT 1 OR max(cu.last_sent_seq) <> max(m.seq) OR max(cu.last_read_seq) < max(m.seq)`,
      )
      .all();
    expect(wrong).toEqual([]);
  });

  it('mirrors doNotReply in message_properties and writes the server scope tokens into the search index', () => {
    const rows = raw
      .prepare(
        `SELECT m.seq, m.conversation_id AS conversationId, m.account_id AS accountId, m.do_not_reply AS hidden, p.value, s.scope, s.body, m.text
         FROM messages m JOIN message_properties p ON p.message_seq = m.seq AND p.key = 'doNotReply'
         JOIN message_search s ON s.rowid = m.seq`,
      )
      .all() as { conversationId: string; accountId: string; hidden: number; value: string; scope: string; body: string; text: string }[];
    expect(rows).toHaveLength(3000);
    for (const r of rows) {
      expect(r.value).toBe(String(Boolean(r.hidden)));
      expect(r.scope).toBe(searchScopeTokens({ id: r.conversationId, accountId: r.accountId }, { hidden: Boolean(r.hidden) }));
      expect(r.body).toBe(r.text);
    }
    expect(rows.some((r) => r.hidden)).toBe(true);
  });
});

describe('the app on generated data', () => {
  it('never shows hidden notes to the customer of the 1,000-message thread, and shows them to staff', async () => {
    const seen = async (who: Persona) => {
      const out: { doNotReply: boolean }[] = [];
      let path = `/conversations/${meta.bigThreadId}?limit=200`;
      for (;;) {
        const res = await call(who, 'GET', path);
        expect(res.status).toBe(200);
        out.push(...res.json.messages);
        if (!res.json.nextCursor) return out;
        path = `/conversations/${meta.bigThreadId}?limit=200&before=${encodeURIComponent(res.json.nextCursor)}`;
      }
    };
    const customer = await seen(meta.personas.customer);
    const staff = await seen(meta.personas.staff);
    expect(staff.length).toBe(300); // 3,000 messages: the planted thread holds a tenth
    expect(customer.every((m) => !m.doNotReply)).toBe(true);
    expect(customer.length).toBe(staff.filter((m) => !m.doNotReply).length);
  });

  it('finds the planted rare word for an admin in exactly the conversations that hold it', async () => {
    const expected = (
      raw
        .prepare(`SELECT DISTINCT m.conversation_id AS id FROM message_search s JOIN messages m ON m.seq = s.rowid WHERE message_search MATCH ?`)
        .all(meta.terms.rare) as { id: string }[]
    )
      .map((r) => r.id)
      .sort();
    expect(expected.length).toBeGreaterThan(0);
    const res = await call(meta.personas.admin, 'GET', `/conversations?q=${meta.terms.rare}&limit=100`);
    expect(res.status).toBe(200);
    expect(res.json.items.map((i: { id: string }) => i.id).sort()).toEqual(expected);
  });

  it('accepts a new message on top and finds it by a new word', async () => {
    const { user, conversationId } = meta.senders[0]!;
    const posted = await call(user, 'POST', `/conversations/${conversationId}/messages`, { body: '<p>zzgeneratorcheck arrived</p>' });
    expect(posted.status).toBe(201);
    const found = await call(user, 'GET', '/conversations?q=zzgeneratorcheck');
    expect(found.json.items.map((i: { id: string }) => i.id)).toEqual([conversationId]);
  });
});
