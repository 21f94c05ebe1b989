import { timingSafeEqual, createHash } from 'node:crypto';
import { Hono } from 'hono';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { sql } from 'drizzle-orm';
import { firstRow } from '../store/sql.js';
import type { Db } from '../store/sqlite/client.js';
import { streamRegistry } from '../realtime/streams.js';

/** What the request log hands to the metrics: one observation per answered request. */
export interface RequestMetrics {
  observe(route: string, status: number, durationMs: number): void;
}

export interface Metrics extends RequestMetrics {
  registry: Registry;
  /** Counts a notice the delivery worker failed to deliver (a retry or a give-up). */
  deliveryFailed(): void;
}

export interface MetricsSources {
  db: Db;
  /** Writes waiting for the writer thread, when there is one. */
  writerQueue?: () => number;
}

const statusClass = (status: number) => `${Math.floor(status / 100)}xx`;

/**
 * The Prometheus metrics of one server. Gauges are read when scraped: the open streams from memory, the
 * outbox from counts on its (channel, status) index, the writer queue from the thread's waiting list.
 */
export function createMetrics(sources: MetricsSources): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'secure_inbox_' });
  const labelNames = ['route', 'status_class'] as const;
  const requests = new Counter({
    name: 'secure_inbox_http_requests_total',
    help: 'HTTP requests answered, by route pattern and status class.',
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'secure_inbox_http_request_duration_seconds',
    help: 'Time to answer (for event streams: to start the stream), by route pattern and status class.',
    labelNames,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [registry],
  });
  const failures = new Counter({
    name: 'secure_inbox_delivery_failures_total',
    help: 'Notification deliveries that failed (retried or given up).',
    registers: [registry],
  });
  new Gauge({
    name: 'secure_inbox_event_streams_open',
    help: 'Event streams open on this instance.',
    registers: [registry],
    collect() {
      this.set(streamRegistry(sources.db).total());
    },
  });
  const countBy = async (status: string) =>
    Number((await firstRow<{ n: number }>(sources.db, sql`SELECT count(*) AS n FROM notifications WHERE channel = 'email' AND status = ${status}`))?.n ?? 0);
  new Gauge({
    name: 'secure_inbox_outbox_pending',
    help: 'E-mail notices waiting in the outbox to be delivered.',
    registers: [registry],
    async collect() {
      this.set(await countBy('pending'));
    },
  });
  new Gauge({
    name: 'secure_inbox_outbox_failed',
    help: 'E-mail notices given up on (kept in the outbox with their last error).',
    registers: [registry],
    async collect() {
      this.set(await countBy('failed'));
    },
  });
  new Gauge({
    name: 'secure_inbox_writer_queue',
    help: 'Writes handed to the writer thread and not yet committed.',
    registers: [registry],
    collect() {
      this.set(sources.writerQueue?.() ?? 0);
    },
  });
  return {
    registry,
    observe(route, status, durationMs) {
      const labels = { route, status_class: statusClass(status) };
      requests.inc(labels);
      duration.observe(labels, durationMs / 1000);
    },
    deliveryFailed: () => failures.inc(),
  };
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** `GET /metrics`: 404 unless a token is configured, then 401 unless `Authorization: Bearer <token>` matches it. */
export function metricsRoute(token: string | undefined, metrics: Metrics | null) {
  const expected = token ? digest(token) : null;
  return new Hono().get('/metrics', async (c) => {
    if (!expected || !metrics) return c.json({ error: { code: 'not_found', message: 'No route GET /metrics.' } }, 404);
    const presented = /^Bearer (.+)$/.exec(c.req.header('authorization') ?? '')?.[1] ?? '';
    // Hashing first gives both sides the same length, so the comparison takes the same time whatever was sent.
    if (!timingSafeEqual(digest(presented), expected)) {
      return c.json(
        { error: { code: 'unauthorized', message: 'Send the metrics token of SECURE_INBOX_METRICS_TOKEN as "Authorization: Bearer <token>".' } },
        401,
        { 'WWW-Authenticate': 'Bearer' },
      );
    }
    return c.body(await metrics.registry.metrics(), 200, { 'Content-Type': metrics.registry.contentType, 'Cache-Control': 'no-store' });
  });
}
