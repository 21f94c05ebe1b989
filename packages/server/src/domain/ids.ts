import { randomFillSync } from 'node:crypto';

const ID_BYTES = 12;
/** Random bytes for the next ids, drawn from the system's generator 256 ids at a time. */
const pool = Buffer.alloc(ID_BYTES * 256);
let used = pool.length;

/** Unguessable public ids with a readable prefix: 96 random bits each. */
export function newId(prefix: 'c' | 'm' | 'att'): string {
  if (used === pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  const id = pool.toString('base64url', used, used + ID_BYTES);
  used += ID_BYTES;
  return `${prefix}_${id}`;
}

export const nowIso = () => new Date().toISOString();

/** Opaque keyset cursors: the position (a seq) in base64url. */
export const encodeCursor = (seq: number) => Buffer.from(`s${seq}`).toString('base64url');
export function decodeCursor(cursor: string): number | null {
  const raw = Buffer.from(cursor, 'base64url').toString('utf8');
  return /^s\d{1,15}$/.test(raw) ? Number(raw.slice(1)) : null;
}
