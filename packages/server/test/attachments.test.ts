import { serve } from '@hono/node-server';
import { existsSync, readdirSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { attachmentServices, pruneUnsentUploads, useAttachmentServices } from '../src/attachments/service.js';
import { startBackgroundJobs } from '../src/notify/background.js';
import { makeTestApp, people, signInAll, type TestUser } from './helpers.js';
import { sql } from 'drizzle-orm';
import { execute, firstRow } from '../src/store/sql.js';

type T = ReturnType<typeof makeTestApp>;

// ------------------------------------------------------------------ samples built here, byte by byte
const bytes = (...parts: (string | number[] | Uint8Array)[]) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
const JPEG = bytes([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10], 'JFIF', [0, 1, 1, 0, 0, 1, 0, 1, 0, 0], [0xff, 0xd9]);
const PDF = bytes('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
const ELF = bytes([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0], new Array(56).fill(0));
const EXE = bytes('MZ', [0x90, 0, 3, 0, 0, 0, 4, 0], new Array(50).fill(0), 'This program cannot be run in DOS mode.');
// Assembled at run time so that this source file does not itself carry the test signature.
const EICAR = ['X5O!P%@AP[4\\PZX54(P^)7CC)7}$', 'EICAR-STANDARD-ANTIVIRUS-', 'TEST-FILE!$H+H*'].join('');

/** A stored (uncompressed) ZIP archive, enough for format detection. */
function zip(entries: Record<string, string>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, text] of Object.entries(entries)) {
    const data = Buffer.from(text, 'utf8');
    const nameBytes = Buffer.from(name, 'utf8');
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x21, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, data);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(entries).length, 8);
  end.writeUInt16LE(Object.keys(entries).length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

const DOCX = zip({
  '[Content_Types].xml':
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
  'word/document.xml': '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body/></w:document>',
});

// ------------------------------------------------------------------ calling the app
async function auth(t: T, user: TestUser | null): Promise<Record<string, string>> {
  return user ? { authorization: `Bearer ${await t.token(user)}` } : {};
}

async function result(res: Response) {
  const text = await res.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: res.status, json, text, headers: res.headers };
}

/** Uploads `content` as the `file` field of a real multipart body (FormData). */
async function upload(t: T, user: TestUser | null, content: Uint8Array | string, name: string, type = 'application/octet-stream') {
  const form = new FormData();
  form.append('file', new Blob([typeof content === 'string' ? content : new Uint8Array(content)], { type }), name);
  return result(await t.app.request('/api/v1/attachments', { method: 'POST', body: form, headers: await auth(t, user) }));
}

/** Uploads a hand-written multipart body, for part headers FormData would not produce. */
async function uploadRaw(t: T, user: TestUser | null, partHeaders: string, content: string) {
  const boundary = 'x-boundary-7d1f';
  const body = `--${boundary}\r\n${partHeaders}\r\n\r\n${content}\r\n--${boundary}--\r\n`;
  return result(
    await t.app.request('/api/v1/attachments', {
      method: 'POST',
      body,
      headers: { ...(await auth(t, user)), 'content-type': `multipart/form-data; boundary=${boundary}` },
    }),
  );
}

async function download(t: T, user: TestUser | null, id: string) {
  const res = await t.app.request(`/api/v1/attachments/${id}`, { headers: await auth(t, user) });
  const body = Buffer.from(await res.arrayBuffer());
  let json: any = null;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    json = null;
  }
  return { status: res.status, headers: res.headers, body, json };
}

const store = (t: T) => join(t.dir, 'attachments');
/** Files left in the upload temp folder and the store (excluding folders). */
function storedFiles(t: T): string[] {
  if (!existsSync(store(t))) return [];
  return (readdirSync(store(t), { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((entry) => entry.isFile())
    .map((entry) => entry.name);
}
const tempFiles = (t: T) => (existsSync(join(store(t), 'tmp')) ? readdirSync(join(store(t), 'tmp')) : []);

// ------------------------------------------------------------------ uploads
describe('uploading attachments', () => {
  let t: T;
  beforeEach(async () => {
    t = makeTestApp({ SECURE_INBOX_MAX_UPLOAD_BYTES: '4096' });
    await signInAll(t);
  });

  it.each([
    ['a PDF', PDF, 'Permit.pdf', 'application/pdf', 'Permit.pdf'],
    ['a PNG', PNG, 'site plan.png', 'image/png', 'site plan.png'],
    ['a JPEG', JPEG, 'photo.jpeg', 'image/jpeg', 'photo.jpeg'],
    ['plain text', 'Meter reading: 4711\nThanks!\n', 'notes.txt', 'text/plain', 'notes.txt'],
    ['CSV', 'date;amount\n2024-01-02;12.50\n', 'ledger.csv', 'text/csv', 'ledger.csv'],
    ['a Word document', DOCX, 'letter.docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'letter.docx'],
    [
      'a GIF',
      bytes('GIF89a', [1, 0, 1, 0, 0x80, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff], ',', [0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 1, 0], ';'),
      'anim.gif',
      'image/gif',
      'anim.gif',
    ],
    [
      'an OpenDocument text',
      zip({ mimetype: 'application/vnd.oasis.opendocument.text', 'content.xml': '<office:document-content/>' }),
      'minutes.odt',
      'application/vnd.oasis.opendocument.text',
      'minutes.odt',
    ],
    ['a legacy Word document', bytes([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1], new Array(504).fill(0)), 'old.doc', 'application/msword', 'old.doc'],
    ['a PNG without an extension', PNG, 'scan', 'image/png', 'scan.png'],
    ['a real PDF named x.pdf.html', PDF, 'x.pdf.html', 'application/pdf', 'x.pdf'],
    ['UTF-8 text named .js', 'just some words, ünïcödé\n', 'readme.js', 'text/plain', 'readme.txt'],
  ])('accepts %s, typed from its bytes', async (_what, content, name, contentType, storedName) => {
    const res = await upload(t, people.alice, content, name, 'text/html');
    expect(res.status).toBe(201);
    const size = typeof content === 'string' ? Buffer.byteLength(content) : content.length;
    expect(res.json.attachment).toEqual({ id: expect.stringMatching(/^att_/), name: storedName, size, contentType, scanStatus: 'clean' });
    const back = await download(t, people.alice, res.json.attachment.id);
    expect(back.status).toBe(200);
    expect(back.body.equals(Buffer.from(content))).toBe(true);
    expect(tempFiles(t)).toEqual([]);
  });

  it.each([
    [
      'an SVG with a script',
      '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>',
      'logo.svg',
      'image/svg+xml',
      /looks like HTML, SVG/,
    ],
    ['HTML renamed .png', '<!DOCTYPE html><html><body><script>fetch("/steal")</script></body></html>', 'photo.png', 'image/png', /looks like HTML, SVG/],
    ['HTML after a few lines of text', 'Hello\n\n<HTML><ScRiPt>alert(1)</script>', 'hello.txt', 'text/plain', /looks like HTML, SVG/],
    ['a GIF/HTML polyglot', bytes('GIF89a/*', [1, 0, 1, 0, 0, 0, 0], '*/=1;<script>alert(1)</script>', [0x3b]), 'cat.gif', 'image/gif', /polyglot/],
    ['an ELF executable sent as image/png', ELF, 'holiday.png', 'image/png', /content is ELF/],
    ['an executable with a double extension', EXE, 'invoice.pdf.exe', 'application/pdf', /content is EXE/],
    ['"text" containing NUL', bytes('hello', [0], 'world'), 'notes.txt', 'text/plain', /neither a recognised document or image nor UTF-8 text/],
    ['invalid UTF-8 "text"', bytes('caf', [0xe9], ' au lait'), 'menu.txt', 'text/plain', /neither a recognised document or image nor UTF-8 text/],
    ['an XML file', '<?xml version="1.0"?><note><to>you</to></note>', 'data.txt', 'text/plain', /content is XML/],
    ['an HTML file', '<html><body>hi</body></html>', 'page.html', 'text/html', /looks like HTML, SVG/],
    ['a ZIP archive', zip({ 'a.txt': 'hello' }), 'bundle.zip', 'application/zip', /content is ZIP/],
    [
      'a compound file not named as Office',
      bytes([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1], new Array(504).fill(0)),
      'setup.msi',
      'application/msword',
      /not named \.doc, \.xls or \.ppt/,
    ],
  ])('refuses %s with 415 and keeps nothing', async (_what, content, name, type, reason) => {
    const res = await upload(t, people.alice, content, name, type);
    expect(res.status).toBe(415);
    expect(res.json.error.code).toBe('unsupported_type');
    expect(res.json.error.message).toMatch(reason);
    expect(res.json.error.message).toMatch(/Only PDF, PNG, .* are accepted\./);
    expect(storedFiles(t)).toEqual([]);
  });

  it('refuses a file over the size limit with 413 while streaming, leaving nothing on disk', async () => {
    const res = await upload(t, people.alice, 'a'.repeat(4097), 'big.txt', 'text/plain');
    expect(res.status).toBe(413);
    expect(res.json.error.code).toBe('too_large');
    expect(res.json.error.message).toContain('4096');
    expect(storedFiles(t)).toEqual([]);
    // A body far over the limit that does not declare its length is cut off as well.
    const boundary = 'b0undary';
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="endless.txt"\r\n\r\n`));
        for (let i = 0; i < 64; i++) controller.enqueue(new Uint8Array(1024).fill(97));
        controller.close();
      },
    });
    const streamed = await result(
      await t.app.request('/api/v1/attachments', {
        method: 'POST',
        body: stream,
        duplex: 'half',
        headers: { ...(await auth(t, people.alice)), 'content-type': `multipart/form-data; boundary=${boundary}` },
      } as RequestInit),
    );
    expect(streamed.status).toBe(413);
    expect(storedFiles(t)).toEqual([]);
    // Exactly at the limit is fine.
    expect((await upload(t, people.alice, 'a'.repeat(4096), 'exact.txt')).status).toBe(201);
  });

  it('leaves nothing half-stored when the client disconnects mid-upload', async () => {
    const boundary = 'b0undary';
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        controller.enqueue(new TextEncoder().encode(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="half.txt"\r\n\r\nhalf of it`));
        await new Promise((done) => setTimeout(done, 10));
        controller.error(new Error('connection reset'));
      },
    });
    const res = await result(
      await t.app.request('/api/v1/attachments', {
        method: 'POST',
        body: stream,
        duplex: 'half',
        headers: { ...(await auth(t, people.alice)), 'content-type': `multipart/form-data; boundary=${boundary}` },
      } as RequestInit),
    );
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('bad_request');
    expect(storedFiles(t)).toEqual([]);
    expect(await firstRow(t.db, sql`SELECT COUNT(*) AS n FROM attachments`)).toEqual({ n: 0 });
  });

  it('refuses an empty file and a body without a file field with 422, and a non-multipart body with 415', async () => {
    const empty = await upload(t, people.alice, '', 'empty.txt');
    expect(empty.status).toBe(422);
    expect(empty.json.error.details).toEqual([{ field: 'file', message: 'is empty' }]);

    const form = new FormData();
    form.append('attachment', 'not a file');
    const missing = await result(await t.app.request('/api/v1/attachments', { method: 'POST', body: form, headers: await auth(t, people.alice) }));
    expect(missing.status).toBe(422);
    expect(missing.json.error.details[0].field).toBe('file');

    const json = await t.call(people.alice, 'POST', '/attachments', { file: 'aGVsbG8=' });
    expect(json.status).toBe(415);
    expect(json.json.error.code).toBe('unsupported_type');
    expect(json.json.error.message).toContain('multipart/form-data');
    expect(storedFiles(t)).toEqual([]);
  });

  it('cleans hostile file names: paths, CR/LF, bidi overrides, length', async () => {
    const traversal = await upload(t, people.alice, 'x', '../../../etc/passwd');
    expect(traversal.status).toBe(201);
    expect(traversal.json.attachment.name).toBe('passwd.txt');

    const backslashes = await upload(t, people.alice, 'x', '..\\..\\windows\\system.ini');
    expect(backslashes.json.attachment.name).toBe('system.ini');

    // RFC 5987 lets a client smuggle CR/LF into the name; it must never reach a header.
    const crlf = await uploadRaw(
      t,
      people.alice,
      `Content-Disposition: form-data; name="file"; filename*=UTF-8''report%0D%0ASet-Cookie%3A%20a%3Db%0D%0A..%2F..%2Fevil.txt`,
      'hello',
    );
    expect(crlf.status).toBe(201);
    expect(crlf.json.attachment.name).toBe('evil.txt');
    const injected = await uploadRaw(t, people.alice, `Content-Disposition: form-data; name="file"; filename*=UTF-8''a%0D%0ASet-Cookie%3A%20x%3D1.txt`, 'hi');
    expect(injected.json.attachment.name).toBe('aSet-Cookie: x=1.txt');
    const got = await download(t, people.alice, injected.json.attachment.id);
    expect(got.headers.get('set-cookie')).toBeNull();
    expect(got.headers.get('content-disposition')).not.toMatch(/[\r\n]/);

    const bidi = await upload(t, people.alice, 'x', 'invoice\u202Etxt.exe');
    expect(bidi.json.attachment.name).toBe('invoicetxt.txt');
    expect(bidi.json.attachment.name).not.toMatch(/[\u202A-\u202E\u2066-\u2069]/);

    const long = await upload(t, people.alice, PDF, `${'a'.repeat(300)}.pdf`);
    expect(long.json.attachment.name).toBe(`${'a'.repeat(196)}.pdf`);

    const nothing = await upload(t, people.alice, PNG, ' .. ');
    expect(nothing.json.attachment.name).toBe('attachment.png');

    const html = await upload(t, people.alice, 'x', '<img src=x onerror=alert(1)>.txt');
    expect(html.json.attachment.name).toBe('<img src=x onerror=alert(1)>.txt');
  });

  it('holds each user to an upload quota', async () => {
    const q = makeTestApp({ SECURE_INBOX_UPLOAD_QUOTA_BYTES: '3000' });
    await signInAll(q);
    expect((await upload(q, people.alice, 'a'.repeat(2000), 'one.txt')).status).toBe(201);
    const over = await upload(q, people.alice, 'b'.repeat(1500), 'two.txt');
    expect(over.status).toBe(413);
    expect(over.json.error.code).toBe('too_large');
    expect(over.json.error.message).toMatch(/quota/);
    expect(over.json.error.details).toEqual({ used: 2000, quota: 3000 });
    expect(tempFiles(q)).toEqual([]);
    // Someone else's quota is their own.
    expect((await upload(q, people.adam, 'b'.repeat(1500), 'two.txt')).status).toBe(201);
  });
});

// ------------------------------------------------------------------ uploads never sent
describe('uploads never sent', () => {
  const later = (hours: number) => Date.now() + hours * 3600_000;

  it('are removed a day after upload, bytes included, and stop counting against the quota', async () => {
    const q = makeTestApp({ SECURE_INBOX_UPLOAD_QUOTA_BYTES: '3000' });
    await signInAll(q);
    const draft = (await upload(q, people.alice, 'a'.repeat(2000), 'draft.txt')).json.attachment.id;
    expect((await upload(q, people.alice, 'b'.repeat(1500), 'two.txt')).status).toBe(413);

    // Younger than a day: kept.
    expect(await pruneUnsentUploads(q.db, q.config, later(23))).toBe(0);
    expect((await download(q, people.alice, draft)).status).toBe(200);

    expect(await pruneUnsentUploads(q.db, q.config, later(25))).toBe(1);
    const gone = await download(q, people.alice, draft);
    expect(gone.status).toBe(404);
    expect(gone.json.error.code).toBe('not_found');
    expect((await upload(q, people.alice, 'b'.repeat(1500), 'two.txt')).status).toBe(201);
    // Sending a removed upload names it.
    const created = await q.call(people.alice, 'POST', '/conversations', {
      accountId: 'acme',
      subject: 'Late',
      body: 'With the draft.',
      attachmentIds: [draft],
    });
    expect(created.status).toBe(404);
    expect(created.json.error.message).toContain(draft);
  });

  it('never touch sent uploads, nor bytes a kept upload holds as well', async () => {
    const t = makeTestApp();
    await signInAll(t);
    const sent = (await upload(t, people.alice, PDF, 'permit.pdf')).json.attachment.id;
    const created = await t.call(people.alice, 'POST', '/conversations', { accountId: 'acme', subject: 'Permit', body: 'Attached.', attachmentIds: [sent] });
    expect(created.status).toBe(201);
    // The same bytes uploaded again by someone else and left unsent, and a different file left unsent.
    const copy = (await upload(t, people.adam, PDF, 'copy.pdf')).json.attachment.id;
    const other = (await upload(t, people.adam, PNG, 'photo.png')).json.attachment.id;

    expect(await pruneUnsentUploads(t.db, t.config, later(48))).toBe(2);
    expect((await download(t, people.adam, copy)).status).toBe(404);
    expect((await download(t, people.adam, other)).status).toBe(404);
    const kept = await download(t, people.alice, sent);
    expect(kept.status).toBe(200);
    expect(kept.body.equals(PDF)).toBe(true);
  });

  it('do not remove bytes an upload of the same file is storing at that moment', async () => {
    const t = makeTestApp();
    await signInAll(t);
    const old = (await upload(t, people.adam, JPEG, 'old.jpg')).json.attachment.id;
    // Removing the old copy's bytes is held up until the new upload has finished (or 300 ms passed):
    // unless the two take turns, the new upload stores its bytes and the removal then takes them.
    const { store } = attachmentServices(t.config);
    let uploaded: Promise<unknown> = new Promise(() => undefined);
    useAttachmentServices(t.config, {
      store: { ...store, delete: async (sha256) => Promise.race([uploaded, new Promise((r) => setTimeout(r, 300))]).then(() => store.delete(sha256)) },
    });
    const pruning = pruneUnsentUploads(t.db, t.config, later(30));
    const again = upload(t, people.alice, JPEG, 'new.jpg');
    uploaded = again;
    expect(await pruning).toBe(1);
    expect((await again).status).toBe(201);
    expect((await download(t, people.adam, old)).status).toBe(404);
    const fresh = await download(t, people.alice, (await again).json.attachment.id);
    expect(fresh.status).toBe(200);
    expect(fresh.body.equals(JPEG)).toBe(true);
  });

  it("are removed by the server's background jobs, from the moment it starts", async () => {
    const t = makeTestApp();
    await signInAll(t);
    const stale = (await upload(t, people.alice, PDF, 'stale.pdf')).json.attachment.id;
    const fresh = (await upload(t, people.alice, PNG, 'fresh.png')).json.attachment.id;
    await execute(t.db, sql`UPDATE attachments SET created_at = '2020-01-01T00:00:00.000Z' WHERE id = ${stale}`);
    const jobs = startBackgroundJobs(t.db, t.config);
    await jobs.stop();
    expect((await download(t, people.alice, stale)).status).toBe(404);
    expect((await download(t, people.alice, fresh)).status).toBe(200);
  });
});

// ------------------------------------------------------------------ downloads and who may see them
describe('downloading attachments', () => {
  let t: T;
  let conversationId: string;
  beforeEach(async () => {
    t = makeTestApp();
    await signInAll(t);
    const created = await t.call(people.alice, 'POST', '/conversations', { accountId: 'acme', subject: 'Documents', body: 'Here they come.' });
    conversationId = created.json.conversation.id;
  });

  const unknown = async (user: TestUser) => (await download(t, user, 'att_doesnotexist0000000000')).json;

  it('are always attachments with safe headers', async () => {
    // RFC 5987 carries the quotes through; FormData (like browsers) would send them as %22.
    const text = await uploadRaw(
      t,
      people.alice,
      `Content-Disposition: form-data; name="file"; filename*=UTF-8''Z%C3%A4hlerstand%20%22Mai%22%202024.txt`,
      'Zählerstand 4711\n',
    );
    const res = await download(t, people.alice, text.json.attachment.id);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="Zahlerstand _Mai_ 2024.txt"; filename*=UTF-8''Z%C3%A4hlerstand%20%22Mai%22%202024.txt`,
    );
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain('sandbox');
    expect(res.headers.get('cache-control')).toContain('no-store');
    expect(res.headers.get('content-length')).toBe(String(Buffer.byteLength('Zählerstand 4711\n')));
    const headOnly = await t.app.request(`/api/v1/attachments/${text.json.attachment.id}`, { method: 'HEAD', headers: await auth(t, people.alice) });
    expect(headOnly.status).toBe(200);
    expect(headOnly.headers.get('content-disposition')).toBe(res.headers.get('content-disposition'));
    expect(await headOnly.text()).toBe('');

    const png = await download(t, people.alice, (await upload(t, people.alice, PNG, 'p.png')).json.attachment.id);
    expect(png.headers.get('content-type')).toBe('image/png');
    expect(png.headers.get('content-disposition')).toMatch(/^attachment; filename="p\.png"; filename\*=UTF-8''p\.png$/);

    const docx = await download(t, people.alice, (await upload(t, people.alice, DOCX, 'd.docx')).json.attachment.id);
    expect(docx.headers.get('content-type')).toBe('application/octet-stream');
    expect(docx.headers.get('content-disposition')).toMatch(/^attachment;/);
  });

  it('before sending: only the uploader', async () => {
    const up = await upload(t, people.alice, PDF, 'draft.pdf');
    const id = up.json.attachment.id;
    expect((await download(t, people.alice, id)).status).toBe(200);
    for (const other of [people.adam, people.sam, people.bob]) {
      const res = await download(t, other, id);
      expect(res.status).toBe(404);
      expect(res.json).toEqual(await unknown(other));
    }
  });

  it('after sending: whoever sees the message, and nobody else', async () => {
    const up = await upload(t, people.alice, PDF, 'permit.pdf');
    const id = up.json.attachment.id;
    const posted = await t.call(people.alice, 'POST', `/conversations/${conversationId}/messages`, { body: 'The permit.', attachmentIds: [id] });
    expect(posted.status).toBe(201);
    expect(posted.json.message.attachments).toEqual([{ id, name: 'permit.pdf', size: PDF.length, contentType: 'application/pdf', scanStatus: 'clean' }]);

    for (const allowed of [people.alice, people.sam, people.root]) {
      const res = await download(t, allowed, id);
      expect(res.status).toBe(200);
      expect(res.body.equals(PDF)).toBe(true);
    }
    // Another customer of the same account is not in the conversation; a customer and staff of another account neither.
    for (const outsider of [people.adam, people.bob, people.gina]) {
      const res = await download(t, outsider, id);
      expect(res.status).toBe(404);
      expect(res.json).toEqual(await unknown(outsider));
    }
    // Added to the conversation, the co-owner sees it.
    expect((await t.call(people.sam, 'POST', `/conversations/${conversationId}/participants`, { userIds: ['adam'] })).status).toBe(200);
    expect((await download(t, people.adam, id)).status).toBe(200);
  });

  it('on a hidden note: staff only, never the customer', async () => {
    const up = await upload(t, people.sam, PNG, 'internal.png');
    const id = up.json.attachment.id;
    const note = await t.call(people.sam, 'POST', `/conversations/${conversationId}/messages`, {
      body: 'Checked the photo.',
      action: 'internal_note',
      attachmentIds: [id],
    });
    expect(note.status).toBe(201);

    expect((await download(t, people.sam, id)).status).toBe(200);
    expect((await download(t, people.root, id)).status).toBe(200);
    const customer = await download(t, people.alice, id);
    expect(customer.status).toBe(404);
    expect(customer.json).toEqual(await unknown(people.alice));
    const thread = await t.call(people.alice, 'GET', `/conversations/${conversationId}`);
    expect(thread.text).not.toContain(id);
  });

  it('on a status update: every member of the account the Status tab lists it to, and nobody else', async () => {
    const up = await upload(t, people.sam, PDF, 'closure.pdf');
    const id = up.json.attachment.id;
    const posted = await t.call(people.sam, 'POST', `/conversations/${conversationId}/messages`, {
      body: 'Office closed Friday.',
      action: 'status_update',
      attachmentIds: [id],
    });
    expect(posted.status).toBe(201);
    // Adam is a customer of the account who takes no part in the conversation: the Status tab is account-wide news.
    for (const member of [people.alice, people.adam, people.sam, people.root]) {
      const tab = await t.call(member, 'GET', '/status-updates?accountId=acme');
      expect(tab.status, member.sub).toBe(200);
      expect(
        tab.json.items.flatMap((m: { attachments: { id: string }[] }) => m.attachments.map((a) => a.id)),
        member.sub,
      ).toEqual([id]);
      const res = await download(t, member, id);
      expect(res.status, member.sub).toBe(200);
      expect(res.body.equals(PDF)).toBe(true);
    }
    // A customer and staff of another account: no Status tab, and the same 404 as an unknown id.
    for (const outsider of [people.bob, people.gina]) {
      expect((await t.call(outsider, 'GET', '/status-updates?accountId=acme')).status).toBe(403);
      const res = await download(t, outsider, id);
      expect(res.status).toBe(404);
      expect(res.json).toEqual(await unknown(outsider));
    }
    // A file of the same conversation that is not on the Status tab stays out of Adam's reach.
    const other = (await upload(t, people.sam, PNG, 'reply.png')).json.attachment.id;
    expect((await t.call(people.sam, 'POST', `/conversations/${conversationId}/messages`, { body: 'A reply.', attachmentIds: [other] })).status).toBe(201);
    expect((await download(t, people.alice, other)).status).toBe(200);
    const adam = await download(t, people.adam, other);
    expect(adam.status).toBe(404);
    expect(adam.json).toEqual(await unknown(people.adam));
  });

  it("refuses to attach someone else's upload with 404", async () => {
    const theirs = await upload(t, people.alice, PDF, 'mine.pdf');
    const res = await t.call(people.sam, 'POST', `/conversations/${conversationId}/messages`, {
      body: 'Forwarding.',
      attachmentIds: [theirs.json.attachment.id],
    });
    expect(res.status).toBe(404);
    expect(res.json.error.code).toBe('not_found');
    expect((await download(t, people.sam, theirs.json.attachment.id)).status).toBe(404);
  });

  it('answers 401 without a token on both routes', async () => {
    const up = await upload(t, people.alice, PDF, 'a.pdf');
    const anonymousUpload = await upload(t, null, PDF, 'b.pdf');
    expect(anonymousUpload.status).toBe(401);
    expect(anonymousUpload.json.error.code).toBe('unauthorized');
    const anonymousDownload = await download(t, null, up.json.attachment.id);
    expect(anonymousDownload.status).toBe(401);
    expect(anonymousDownload.body.includes(PDF)).toBe(false);
    // Only the signed-in upload was kept (the bytes on disk: attachments-disk.test.ts).
    expect((await firstRow<{ n: number }>(t.db, sql`SELECT COUNT(*) AS n FROM attachments`))!.n).toBe(1);
  });

  it('are listed in the API description', async () => {
    const doc = await t.call(null, 'GET', '/openapi.json');
    expect(Object.keys(doc.json.paths['/attachments'])).toEqual(['post']);
    expect(doc.json.paths['/attachments'].post.requestBody.content['multipart/form-data']).toBeDefined();
    expect(Object.keys(doc.json.paths['/attachments/{id}'])).toEqual(['get']);
  });
});

// ------------------------------------------------------------------ virus scanning through clamd
/** A stand-in clamd speaking INSTREAM: flags the EICAR test string; while `broken`, hangs up without an answer. */
function fakeClamd() {
  const state = { broken: false, scans: 0, received: Buffer.alloc(0) };
  const server: Server = createServer((socket) => {
    let buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      const command = 'zINSTREAM\0';
      if (buffer.length < command.length) return;
      if (buffer.subarray(0, command.length).toString('latin1') !== command) return void socket.end('UNKNOWN COMMAND\0');
      const data: Buffer[] = [];
      let at = command.length;
      while (buffer.length >= at + 4) {
        const length = buffer.readUInt32BE(at);
        if (length === 0) {
          state.scans++;
          state.received = Buffer.concat(data);
          if (state.broken) return void socket.destroy();
          const found = Buffer.concat(data).toString('latin1').includes(EICAR);
          return void socket.end(found ? 'stream: Eicar-Test-Signature FOUND\0' : 'stream: OK\0');
        }
        if (buffer.length < at + 4 + length) return;
        data.push(buffer.subarray(at + 4, at + 4 + length));
        at += 4 + length;
      }
    });
  });
  return { server, state };
}

describe('virus scanning', () => {
  const clamd = fakeClamd();
  let t: T;
  let conversationId: string;
  beforeAll(async () => {
    await new Promise<void>((done) => clamd.server.listen(0, '127.0.0.1', done));
  });
  afterAll(async () => {
    await new Promise((done) => clamd.server.close(done));
  });
  beforeEach(async () => {
    clamd.state.broken = false;
    const { port } = clamd.server.address() as AddressInfo;
    t = makeTestApp({ SECURE_INBOX_CLAMD_URL: `tcp://127.0.0.1:${port}` });
    await signInAll(t);
    const created = await t.call(people.alice, 'POST', '/conversations', { accountId: 'acme', subject: 'Scanned', body: 'Files follow.' });
    conversationId = created.json.conversation.id;
  });

  it('passes clean files', async () => {
    const before = clamd.state.scans;
    const up = await upload(t, people.alice, PDF, 'clean.pdf');
    expect(up.json.attachment.scanStatus).toBe('clean');
    expect(clamd.state.scans).toBe(before + 1);
    expect((await download(t, people.alice, up.json.attachment.id)).status).toBe(200);
  });

  it('streams a large file to clamd in chunks, byte for byte', async () => {
    const big = Buffer.alloc(300 * 1024, 'line of text\n');
    const up = await upload(t, people.alice, big, 'big.log');
    expect(up.json.attachment.scanStatus).toBe('clean');
    expect(clamd.state.received.equals(big)).toBe(true);
  });

  it('quarantines an infected file: both sides see "infected", nobody can download it', async () => {
    const up = await upload(t, people.alice, `${EICAR}\n`, 'eicar.txt');
    expect(up.status).toBe(201);
    expect(up.json.attachment.scanStatus).toBe('infected');
    const id = up.json.attachment.id;
    expect(storedFiles(t)).toEqual([]);

    const posted = await t.call(people.alice, 'POST', `/conversations/${conversationId}/messages`, { body: 'See attached.', attachmentIds: [id] });
    expect(posted.status).toBe(201);
    for (const user of [people.alice, people.sam]) {
      const thread = await t.call(user, 'GET', `/conversations/${conversationId}`);
      const attachments = thread.json.messages.flatMap((m: any) => m.attachments);
      expect(attachments).toEqual([expect.objectContaining({ id, scanStatus: 'infected' })]);
      const res = await download(t, user, id);
      expect(res.status).toBe(409);
      expect(res.json.error.code).toBe('conflict');
      expect(res.json.error.message).toMatch(/malware/);
      expect(res.body.toString('latin1')).not.toContain('EICAR');
    }
    // Outsiders still get the plain 404, not a hint that the file exists.
    expect((await download(t, people.bob, id)).status).toBe(404);
  });

  it('keeps a file pending while the scanner cannot answer, and releases it once it can', async () => {
    clamd.state.broken = true;
    const up = await upload(t, people.alice, PNG, 'later.png');
    expect(up.status).toBe(201);
    expect(up.json.attachment.scanStatus).toBe('pending');
    const id = up.json.attachment.id;

    const waiting = await download(t, people.alice, id);
    expect(waiting.status).toBe(409);
    expect(waiting.json.error.message).toMatch(/virus scan/);
    expect(waiting.headers.get('retry-after')).toBe('30');

    clamd.state.broken = false;
    const released = await download(t, people.alice, id);
    expect(released.status).toBe(200);
    expect(released.body.equals(PNG)).toBe(true);
  });
});

// ------------------------------------------------------------------ over a real connection
describe('uploads over a real HTTP connection', () => {
  let t: T;
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

  const headers = async (extra: string) =>
    `POST /api/v1/attachments HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${await t.token(people.alice)}\r\n` +
    `Content-Type: multipart/form-data; boundary=bnd\r\n${extra}\r\n`;
  const partStart = `--bnd\r\nContent-Disposition: form-data; name="file"; filename="part.txt"\r\n\r\n`;
  const open = async () => {
    const socket = connect(port, '127.0.0.1');
    await new Promise((done) => socket.once('connect', done));
    return socket;
  };
  const until = async (check: () => boolean) => {
    for (let i = 0; i < 100 && !check(); i++) await new Promise((done) => setTimeout(done, 20));
    return check();
  };
  const rows = async () => (await firstRow<{ n: number }>(t.db, sql`SELECT COUNT(*) AS n FROM attachments`))!.n;

  it('answers a chunked upload over the limit with a 413 the client can read', async () => {
    const socket = await open();
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.write(await headers('Transfer-Encoding: chunked\r\n'));
    socket.write(`${partStart.length.toString(16)}\r\n${partStart}\r\n`);
    for (let i = 0; i < 20 && !answer; i++) {
      socket.write(`2000\r\n${'c'.repeat(0x2000)}\r\n`);
      await new Promise((done) => setTimeout(done, 5));
    }
    expect(await until(() => answer.includes('too_large'))).toBe(true);
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    socket.destroy();
    expect(await until(() => tempFiles(t).length === 0)).toBe(true);
    expect(await rows()).toBe(0);
  });
});

describe('polyglots', () => {
  let t: T;
  beforeEach(async () => {
    t = makeTestApp({ SECURE_INBOX_MAX_UPLOAD_BYTES: String(8 * 1024 * 1024) });
    await signInAll(t);
  });

  it.each([
    ['a PNG carrying a script past its first 64 KB', bytes(PNG, new Uint8Array(100 * 1024), '<ScRiPt>alert(1)</script>'), 'deep.png'],
    [
      'a JPEG carrying javascript: 3 MB in, near its end',
      bytes(JPEG, new Uint8Array(3 * 1024 * 1024).fill(0x41), 'JavaScript:alert(1)', [0xff, 0xd9]),
      'big.jpg',
    ],
  ])('are looked for in the whole file: refuses %s with 415 and keeps nothing', async (_what, content, name) => {
    const res = await upload(t, people.alice, content, name, 'image/png');
    expect(res.status).toBe(415);
    expect(res.json.error.code).toBe('unsupported_type');
    expect(res.json.error.message).toMatch(/polyglot/);
    expect(storedFiles(t)).toEqual([]);
  });

  it('accept a large image without markup', async () => {
    const res = await upload(t, people.alice, bytes(PNG, new Uint8Array(3 * 1024 * 1024).fill(0x3c)), 'plain.png', 'image/png');
    expect(res.status).toBe(201);
  });
});
