import { randomFillSync } from 'node:crypto';

const RANDOM_BYTES = 12;
/** Random bytes for the next ids, drawn from the system's generator 256 ids at a time. */
const pool = Buffer.alloc(RANDOM_BYTES * 256);
let used = pool.length;

/** base64url's 64 characters in byte order: a time written with them sorts as the time does. */
const SORTED = '-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz';
const TIME_CHARS = 7;
let stampedMs = -1;
let stamp = '';

/** The creation time in milliseconds, its low 42 bits (139 years) as 7 characters that sort as it does. */
function timeStamp(ms: number): string {
  if (ms !== stampedMs) {
    let text = '';
    for (let shift = 6 * (TIME_CHARS - 1); shift >= 0; shift -= 6) text += SORTED[Math.floor(ms / 2 ** shift) % 64];
    stampedMs = ms;
    stamp = text;
  }
  return stamp;
}

/**
 * Unguessable public ids with a readable prefix: the creation time (7 characters, to the
 * millisecond), then 96 random bits. The time first makes each new id sort after the ids before it,
 * so the unique index on a table's ids takes new rows on its last page instead of on a random one of
 * its thousands (a random page per message was a page more in every commit). Whoever holds an id
 * learns when the item was made, which they can read from the item itself.
 */
export function newId(prefix: 'c' | 'm' | 'att', now = Date.now()): string {
  if (used === pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  const random = pool.toString('base64url', used, used + RANDOM_BYTES);
  used += RANDOM_BYTES;
  return `${prefix}_${timeStamp(now)}${random}`;
}

export const nowIso = () => new Date().toISOString();

/** Opaque keyset cursors: the position (a seq) in base64url. */
export const encodeCursor = (seq: number) => Buffer.from(`s${seq}`).toString('base64url');
export function decodeCursor(cursor: string): number | null {
  const raw = Buffer.from(cursor, 'base64url').toString('utf8');
  return /^s\d{1,15}$/.test(raw) ? Number(raw.slice(1)) : null;
}
