/**
 * Uploads over a real HTTP connection (@hono/node-server): a type off the allow-list is refused from
 * the first bytes, while the client is still sending, and the connection goes on to the next request.
 */
import { serve } from '@hono/node-server';
import { existsSync, readdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestApp, people, signInAll, type TestApp } from './helpers.js';
import { sql } from 'drizzle-orm';
import { firstRow } from '../src/store/sql.js';

let t: TestApp;
let port: number;
let close: () => Promise<void>;

beforeAll(async () => {
  t = makeTestApp();
  await signInAll(t);
  const server = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((done) => server.once('listening', done));
  port = (server.address() as AddressInfo).port;
  close = () =>
    new Promise((done) => {
      server.close(() => done());
      (server as { closeAllConnections?: () => void }).closeAllConnections?.();
    });
});
afterAll(() => close());

const BOUNDARY = 'b0undary';
const MB = 1024 * 1024;
const attachmentRows = async () => (await firstRow<{ n: number }>(t.db, sql`SELECT count(*) AS n FROM attachments`))!.n;
const leftOnDisk = () => {
  const dir = join(t.dir, 'attachments');
  const walk = (d: string): string[] =>
    existsSync(d) ? readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [e.name])) : [];
  return walk(dir);
};

/** Writes raw requests on one connection and collects what comes back. */
async function rawConnection() {
  const socket: Socket = connect(port, '127.0.0.1');
  await new Promise((done) => socket.once('connect', done));
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  const answers = () => received.match(/HTTP\/1\.1 \d{3}/g) ?? [];
  const until = async (check: () => boolean, ms = 4000) => {
    for (let waited = 0; waited < ms && !check(); waited += 20) await new Promise((done) => setTimeout(done, 20));
    return check();
  };
  const write = (data: string | Buffer) => new Promise<void>((done) => (socket.write(data) ? done() : socket.once('drain', () => done())));
  return { socket, answers, until, write, text: () => received };
}

/** The head of a multipart upload of `size` file bytes named `name`, and the part's closing line. */
async function uploadHead(name: string, size: number) {
  const start = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: image/png\r\n\r\n`;
  const end = `\r\n--${BOUNDARY}--\r\n`;
  const length = Buffer.byteLength(start) + size + Buffer.byteLength(end);
  const head =
    `POST /api/v1/attachments HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${await t.token(people.alice)}\r\n` +
    `Content-Type: multipart/form-data; boundary=${BOUNDARY}\r\nContent-Length: ${length}\r\n\r\n${start}`;
  return { head, end };
}

const ELF = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(56)]);

describe('uploads through @hono/node-server', () => {
  it.each([
    ['an executable named .png', 'holiday.png', ELF, /content is ELF/],
    ['8 MB of NUL bytes named .txt', 'notes.txt', Buffer.alloc(0), /neither a recognised document or image nor UTF-8 text/],
  ])('refuse %s with 415 from its first bytes, before the rest is sent, and the connection goes on', async (_what, name, start, reason) => {
    const before = await attachmentRows();
    const size = 8 * MB;
    const c = await rawConnection();
    const { head, end } = await uploadHead(name, size);
    const first = Buffer.concat([start, Buffer.alloc(128 * 1024 - start.length)]);
    await c.write(head);
    await c.write(first);
    // Only 128 KB of 8 MB sent: the answer comes now.
    expect(await c.until(() => c.answers().length === 1)).toBe(true);
    expect(c.answers()).toEqual(['HTTP/1.1 415']);
    expect(c.text()).toContain('"code":"unsupported_type"');
    expect(c.text()).toMatch(reason);
    // The client sends the rest anyway; the connection then serves the next request.
    for (let sent = first.length; sent < size; sent += MB) await c.write(Buffer.alloc(Math.min(MB, size - sent)));
    await c.write(end);
    const ok = await uploadHead('fine.txt', 6);
    await c.write(`${ok.head}hello\n${ok.end}`);
    expect(await c.until(() => c.answers().length === 2, 15_000)).toBe(true);
    expect(c.answers()).toEqual(['HTTP/1.1 415', 'HTTP/1.1 201']);
    c.socket.destroy();
    expect(await attachmentRows()).toBe(before + 1);
    expect(leftOnDisk().filter((f) => f.startsWith('upload-'))).toEqual([]);
  });
});
