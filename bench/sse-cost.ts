/**
 * What the event stream costs per message, without sockets or a second process: the app in this process
 * (`app.request`), 1,000 customers with open event streams, a staff member sending to them one message at a time.
 * Reports CPU per message and send → event, then the same sends with no stream open. The difference is the
 * stream's share (wake, the user's new events, the visibility re-check, the write); `sse-latency.ts` measures the
 * same path over HTTP beside a bare broadcaster.
 *
 *   cd bench && node --import tsx sse-cost.ts [--clients 1000] [--messages 2000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createApp } from '../packages/server/src/app.js';
import { loadConfig } from '../packages/server/src/config.js';
import { openDb } from '../packages/server/src/store/sqlite/client.js';
import { SECRET, tokenFor } from './lib/server.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};

const percentile = (samples: number[], p: number) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};

async function run(clientCount: number, messageCount: number, withStreams: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'secure-inbox-sse-cost-'));
  const config = loadConfig({
    SECURE_INBOX_JWT_SECRET: SECRET,
    SECURE_INBOX_DB: join(dir, 'cost.db'),
    SECURE_INBOX_RATE_LIMIT: '0',
    SECURE_INBOX_DATA_DIR: dir,
  });
  const db = openDb(config.dbFile);
  const app = createApp({ db, config }, { bundlePath: join(dir, 'missing-bundle.js') });
  const call = async <T = unknown>(token: string, method: string, path: string, body?: unknown): Promise<T> => {
    const res = await app.request(`/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}`);
    return (await res.json()) as T;
  };
  const accounts = Array.from({ length: Math.max(1, Math.ceil(clientCount / 10)) }, (_, i) => `acct-${i}`);
  const staff = await tokenFor({ sub: 'cost-staff', name: 'Cost Staff', role: 'staff', accounts });
  await call(staff, 'GET', '/me');
  const tokens: string[] = [];
  const conversations: string[] = [];
  for (let i = 0; i < clientCount; i++) {
    const customer = { sub: `cost-customer-${i}`, name: `Customer ${i}`, role: 'customer', accounts: [accounts[i % accounts.length]!] };
    tokens.push(await tokenFor(customer));
    await call(tokens[i]!, 'GET', '/me');
    const created = await call<{ conversation: { id: string } }>(staff, 'POST', '/conversations', {
      accountId: customer.accounts[0],
      subject: `Case ${i}`,
      body: 'Welcome',
      recipientIds: [customer.sub],
    });
    conversations.push(created.conversation.id);
  }

  const arrivedAt = new Map<string, number>();
  const waiting = new Map<string, () => void>();
  const readers: ReadableStreamDefaultReader<Uint8Array>[] = [];
  for (let i = 0; withStreams && i < clientCount; i++) {
    const res = await app.request('/api/v1/events', { headers: { authorization: `Bearer ${tokens[i]}` } });
    const reader = res.body!.getReader();
    readers.push(reader);
    const decoder = new TextDecoder();
    void (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        for (const match of decoder.decode(value, { stream: true }).matchAll(/"messageId":"([^"]+)"/g)) {
          arrivedAt.set(match[1]!, performance.now());
          waiting.get(match[1]!)?.();
        }
      }
    })().catch(() => {});
  }
  await new Promise((resolve) => setTimeout(resolve, 500));

  const toEvent: number[] = [];
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < messageCount; i++) {
    const start = performance.now();
    const { message } = await call<{ message: { id: string } }>(staff, 'POST', `/conversations/${conversations[i % clientCount]}/messages`, {
      body: `Message ${i}`,
      action: 'send_leave_open',
    });
    if (withStreams && !arrivedAt.has(message.id)) await new Promise<void>((resolve) => waiting.set(message.id, resolve));
    toEvent.push((arrivedAt.get(message.id) ?? performance.now()) - start);
  }
  const used = process.cpuUsage(cpu);
  const wall = performance.now() - started;
  for (const reader of readers) await reader.cancel().catch(() => {});
  db.$client.close();
  rmSync(dir, { recursive: true, force: true });
  return { cpuMs: (used.user + used.system) / 1000 / messageCount, wallMs: wall / messageCount, p50: percentile(toEvent, 50), p99: percentile(toEvent, 99) };
}

const clientCount = arg('clients', 1000);
const messageCount = arg('messages', 2000);
console.log(`Event-stream cost in process: ${clientCount} customers, ${messageCount} sends one at a time`);
for (const withStreams of [true, false]) {
  const r = await run(clientCount, messageCount, withStreams);
  const label = withStreams ? `${clientCount} streams open, send → event` : 'no stream open, send → 201';
  console.log(`${label.padEnd(36)} CPU ${r.cpuMs.toFixed(2)} ms/message, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms`);
}
process.exit(0);
