/**
 * JSON bodies over a real HTTP connection. Served by @hono/node-server, the body is read from Node's
 * own stream (src/validate.ts): the limit, the decoding and the errors must be what clients get from
 * the in-process app, and a refused body must leave the connection usable.
 */
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JSON_BODY_LIMIT } from '../src/validate.js';
import { makeTestApp, people, signInAll, type TestApp } from './helpers.js';
import { sql } from 'drizzle-orm';
import { firstRow } from '../src/store/sql.js';

let t: TestApp;
let base: string;
let port: number;
let close: () => Promise<void>;

beforeAll(async () => {
  t = makeTestApp();
  await signInAll(t);
  const server = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((done) => server.once('listening', done));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}/api/v1`;
  close = () => new Promise((done) => server.close(() => done()));
});
afterAll(() => close());

const conversations = async () => (await firstRow<{ n: number }>(t.db, sql`SELECT count(*) AS n FROM conversations`))!.n;
const question = (subject: string) => JSON.stringify({ accountId: 'acme', subject, body: '<p>Where is my permit?</p>' });

async function post(body: BodyInit, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}/conversations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await t.token(people.alice)}`, 'content-type': 'application/json', ...headers },
    body,
    ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
  } as RequestInit);
  return { status: res.status, json: await res.json() };
}

/** Writes raw requests on one connection and collects what comes back. */
async function rawConnection() {
  const socket: Socket = connect(port, '127.0.0.1');
  await new Promise((done) => socket.once('connect', done));
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  // Status lines; an answer's JSON body ends without a line break, so the next one follows it directly.
  const answers = () => received.match(/HTTP\/1\.1 \d{3}/g) ?? [];
  const until = async (check: () => boolean) => {
    for (let i = 0; i < 150 && !check(); i++) await new Promise((done) => setTimeout(done, 20));
    return check();
  };
  const head = async (extra: string) =>
    `POST /api/v1/conversations HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${await t.token(people.alice)}\r\n` +
    `Content-Type: application/json\r\n${extra}\r\n`;
  return { socket, answers, until, head, text: () => received };
}

describe('JSON bodies through @hono/node-server', () => {
  it('are read with and without a declared length', async () => {
    const before = await conversations();
    expect((await post(question('declared length'))).status).toBe(201);
    const bytes = new TextEncoder().encode(question('chunked'));
    const chunked = new ReadableStream({
      start(controller) {
        controller.enqueue(bytes.slice(0, 10));
        controller.enqueue(bytes.slice(10));
        controller.close();
      },
    });
    const created = await post(chunked);
    expect(created.status).toBe(201);
    expect(created.json.conversation.subject).toBe('chunked');
    expect(await conversations()).toBe(before + 2);
  });

  it('are decoded as UTF-8 with a leading byte order mark dropped, as fetch decodes text', async () => {
    const res = await post(new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(question('Grüße, 東京'))]));
    expect(res.status).toBe(201);
    expect(res.json.conversation.subject).toBe('Grüße, 東京');
  });

  it('answer 400 for JSON that does not parse and 422 naming the field, as in process', async () => {
    const broken = await post('{"accountId": "acme",');
    expect(broken.status).toBe(400);
    expect(broken.json.error.code).toBe('bad_request');
    const unknown = await post(JSON.stringify({ accountId: 'acme', subject: 's', body: 'b', colour: 'red' }));
    expect(unknown.status).toBe(422);
    expect(unknown.json.error.details).toEqual([{ field: 'colour', message: 'is not a known field' }]);
  });

  it('answer 413 for a declared length over the limit, and the connection goes on to the next request', async () => {
    const before = await conversations();
    const c = await rawConnection();
    const big = `{"accountId":"acme","subject":"big","body":"${'x'.repeat(JSON_BODY_LIMIT)}"}`;
    c.socket.write((await c.head(`Content-Length: ${big.length}\r\n`)) + big);
    const next = question('after the refused one');
    c.socket.write((await c.head(`Content-Length: ${Buffer.byteLength(next)}\r\n`)) + next);
    expect(await c.until(() => c.answers().length === 2)).toBe(true);
    expect(c.answers()).toEqual(['HTTP/1.1 413', 'HTTP/1.1 201']);
    expect(c.text()).toContain('"code":"too_large"');
    c.socket.destroy();
    expect(await conversations()).toBe(before + 1);
  });

  it('answer 413 for a chunked body that grows past the limit, and the connection goes on to the next request', async () => {
    const before = await conversations();
    const c = await rawConnection();
    c.socket.write(await c.head('Transfer-Encoding: chunked\r\n'));
    const piece = 'y'.repeat(0x8000);
    c.socket.write(`${(22).toString(16)}\r\n{"accountId":"acme","b\r\n`);
    for (let sent = 0; sent <= JSON_BODY_LIMIT; sent += piece.length) c.socket.write(`${piece.length.toString(16)}\r\n${piece}\r\n`);
    c.socket.write('0\r\n\r\n');
    expect(await c.until(() => c.answers().length === 1)).toBe(true);
    expect(c.answers()).toEqual(['HTTP/1.1 413']);
    const next = question('after the chunked one');
    c.socket.write((await c.head(`Content-Length: ${Buffer.byteLength(next)}\r\n`)) + next);
    expect(await c.until(() => c.answers().length === 2)).toBe(true);
    expect(c.answers()).toEqual(['HTTP/1.1 413', 'HTTP/1.1 201']);
    c.socket.destroy();
    expect(await conversations()).toBe(before + 1);
  });

  it('write nothing when the client hangs up halfway through the body, and the server goes on', async () => {
    const before = await conversations();
    const c = await rawConnection();
    const body = question('never finished');
    c.socket.write((await c.head(`Content-Length: ${Buffer.byteLength(body) + 100}\r\n`)) + body);
    await new Promise((done) => setTimeout(done, 50));
    c.socket.destroy();
    await new Promise((done) => setTimeout(done, 50));
    expect(await conversations()).toBe(before);
    expect((await post(question('still answering'))).status).toBe(201);
  });
});
