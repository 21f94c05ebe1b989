import { randomBytes } from 'node:crypto';

/** Unguessable public ids with a readable prefix. */
export const newId = (prefix: 'c' | 'm' | 'att') => `${prefix}_${randomBytes(12).toString('base64url')}`;

export const nowIso = () => new Date().toISOString();

/** Opaque keyset cursors: the position (a seq) in base64url. */
export const encodeCursor = (seq: number) => Buffer.from(`s${seq}`).toString('base64url');
export function decodeCursor(cursor: string): number | null {
  const raw = Buffer.from(cursor, 'base64url').toString('utf8');
  return /^s\d{1,15}$/.test(raw) ? Number(raw.slice(1)) : null;
}
