/**
 * Attachments' bytes as files on disk: the SQLite store keeps them in the data folder (attachments/, with a tmp/
 * folder for uploads in progress), so what is removed, kept or left half-written shows as files there. On
 * PostgreSQL the bytes are rows (test/postgres/blobs.test.ts); what a client sees is the same on both
 * (attachments.test.ts).
 */
import { serve } from '@hono/node-server';
import { existsSync, readdirSync, type Dirent } from 'node:fs';
import { connect, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pruneUnsentUploads } from '../src/attachments/service.js';
import { firstRow } from '../src/store/sql.js';
import { makeTestApp, people, readAnswer, signInAll, type TestApp, type TestUser } from './helpers.js';

const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');

async function upload(t: TestApp, user: TestUser | null, content: Uint8Array | string, name: string) {
  const form = new FormData();
  form.append('file', new Blob([typeof content === 'string' ? content : new Uint8Array(content)]), name);
  const headers: Record<string, string> = user ? { authorization: `Bearer ${await t.token(user)}` } : {};
  return readAnswer(await t.app.request('/api/v1/attachments', { method: 'POST', body: form, headers }));
}

const store = (t: TestApp) => join(t.dir, 'attachments');
/** The files in the attachment store, its tmp folder included. */
function storedFiles(t: TestApp): string[] {
  if (!existsSync(store(t))) return [];
  return (readdirSync(store(t), { recursive: true, withFileTypes: true }) as Dirent[]).filter((entry) => entry.isFile()).map((entry) => entry.name);
}
const tempFiles = (t: TestApp) => (existsSync(join(store(t), 'tmp')) ? readdirSync(join(store(t), 'tmp')) : []);
const later = (hours: number) => Date.now() + hours * 3600_000;

describe('attachment files on disk', () => {
  it('an unsent upload a day old is removed with its file; the file a sent message holds stays, once, for every upload of it', async () => {
    const t = makeTestApp();
    await signInAll(t);
    const sent = (await upload(t, people.alice, PDF, 'permit.pdf')).json.attachment.id;
    expect(
      (await t.call(people.alice, 'POST', '/conversations', { accountId: 'acme', subject: 'Permit', body: 'Attached.', attachmentIds: [sent] })).status,
    ).toBe(201);
    // The same bytes again, unsent: one file for both.
    await upload(t, people.adam, PDF, 'copy.pdf');
    await upload(t, people.adam, 'a'.repeat(2000), 'draft.txt');
    expect(storedFiles(t)).toHaveLength(2);

    expect(await pruneUnsentUploads(t.db, t.config, later(23))).toBe(0);
    expect(storedFiles(t)).toHaveLength(2);
    expect(await pruneUnsentUploads(t.db, t.config, later(25))).toBe(2);
    expect(storedFiles(t)).toHaveLength(1);
  });

  it('an upload refused for want of a token writes no file', async () => {
    const t = makeTestApp();
    await signInAll(t);
    expect((await upload(t, people.alice, PDF, 'a.pdf')).status).toBe(201);
    expect((await upload(t, null, 'other bytes', 'b.txt')).status).toBe(401);
    expect(storedFiles(t)).toHaveLength(1);
  });

  describe('over a real HTTP connection', () => {
    let t: TestApp;
    let port: number;
    let close: () => Promise<void>;
    beforeAll(async () => {
      t = makeTestApp({ SECURE_INBOX_MAX_UPLOAD_BYTES: '100000' });
      await signInAll(t);
      const server = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' });
      await new Promise((done) => server.once('listening', done));
      port = (server.address() as AddressInfo).port;
      close = () => new Promise((done) => server.close(() => done()));
    });
    afterAll(() => close());

    const until = async (check: () => boolean) => {
      for (let i = 0; i < 100 && !check(); i++) await new Promise((done) => setTimeout(done, 20));
      return check();
    };

    it('leaves no file behind, half-written or whole, when the client hangs up halfway', async () => {
      const socket = connect(port, '127.0.0.1');
      await new Promise((done) => socket.once('connect', done));
      socket.write(
        `POST /api/v1/attachments HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${await t.token(people.alice)}\r\n` +
          `Content-Type: multipart/form-data; boundary=bnd\r\nContent-Length: 60000\r\n\r\n` +
          `--bnd\r\nContent-Disposition: form-data; name="file"; filename="part.txt"\r\n\r\n${'b'.repeat(20_000)}`,
      );
      expect(await until(() => tempFiles(t).length === 1)).toBe(true);
      socket.destroy();
      expect(await until(() => tempFiles(t).length === 0)).toBe(true);
      expect(storedFiles(t)).toEqual([]);
      expect((await firstRow<{ n: number }>(t.db, sql`SELECT COUNT(*) AS n FROM attachments`))!.n).toBe(0);
    });
  });
});
