/**
 * Attachment bytes in PostgreSQL, so that every instance on one database serves every file without a shared
 * disk. The same `BlobStore` as the folder on SQLite (attachments/storage.ts): content-addressed by SHA-256,
 * uploads written to a local temporary file first (received, hashed and scanned there), then taken over.
 *
 * Bytes are rows of 256 KiB in `attachment_chunks`, under one row in `attachment_blobs` written in the same
 * transaction; rather than large objects, because rows go wherever the tables go (pg_dump, replication, a
 * `DELETE` that cascades), while large objects live outside them and are orphaned unless unlinked. In and out
 * are streamed a chunk at a time: one chunk in memory while writing, and while reading each chunk is one short
 * query, so a slow download does not hold a connection of the pool for its whole length.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { and, eq, sql } from 'drizzle-orm';
import type { BlobStore } from '../../attachments/storage.js';
import { onOneConnection, type PgDb } from './db.js';
import { attachmentBlobs, attachmentChunks } from './schema.js';

/** The size of a chunk row; the last chunk of a file holds what remains. */
export const CHUNK_BYTES = 256 * 1024;

const SHA256 = /^[0-9a-f]{64}$/;

function checkKey(sha256: string): void {
  if (!SHA256.test(sha256)) throw new Error(`Not a SHA-256 key: ${sha256}`);
}

/** The bytes of `source` in pieces of exactly CHUNK_BYTES (the last one shorter), one piece in memory at a time. */
async function* rechunk(source: AsyncIterable<Buffer | Uint8Array | string>): AsyncGenerator<Buffer> {
  let piece = Buffer.allocUnsafe(CHUNK_BYTES);
  let filled = 0;
  for await (const part of source) {
    let bytes = typeof part === 'string' ? Buffer.from(part) : part;
    while (bytes.length > 0) {
      const taken = Math.min(bytes.length, CHUNK_BYTES - filled);
      piece.set(bytes.subarray(0, taken), filled);
      filled += taken;
      bytes = bytes.subarray(taken);
      if (filled === CHUNK_BYTES) {
        yield piece;
        piece = Buffer.allocUnsafe(CHUNK_BYTES);
        filled = 0;
      }
    }
  }
  if (filled > 0) yield piece.subarray(0, filled);
}

/**
 * Stores the bytes of `source` as `sha256`, in one transaction: when anything fails (the source breaks off, the
 * bytes do not hash to `sha256`, the connection drops) nothing is left. Bytes already stored are kept as they
 * are and `source` is not read. Returns whether the bytes were written by this call.
 */
export async function writeBlob(db: Pick<PgDb, 'transaction'>, sha256: string, source: AsyncIterable<Buffer | Uint8Array | string>): Promise<boolean> {
  checkKey(sha256);
  return db.transaction(async (tx) => {
    // Claims the key; a concurrent writer of the same bytes waits here for this transaction and then finds them stored.
    const claimed = await tx.insert(attachmentBlobs).values({ sha256, size: 0, chunks: 0 }).onConflictDoNothing().returning({ sha256: attachmentBlobs.sha256 });
    if (claimed.length === 0) return false;
    const hash = createHash('sha256');
    let size = 0;
    let n = 0;
    for await (const data of rechunk(source)) {
      hash.update(data);
      await tx.insert(attachmentChunks).values({ sha256, n, data });
      size += data.length;
      n += 1;
    }
    const actual = hash.digest('hex');
    if (actual !== sha256) throw new Error(`The bytes stored as ${sha256} hash to ${actual}; nothing was stored.`);
    await tx.update(attachmentBlobs).set({ size, chunks: n }).where(eq(attachmentBlobs.sha256, sha256));
    return true;
  });
}

/** The bytes of `sha256` as a stream that reads one chunk per query, or null when they are not stored. */
export async function readBlob(db: PgDb, sha256: string): Promise<Readable | null> {
  checkKey(sha256);
  const [blob] = await db.select({ chunks: attachmentBlobs.chunks }).from(attachmentBlobs).where(eq(attachmentBlobs.sha256, sha256));
  if (!blob) return null;
  let n = 0;
  return new Readable({
    // One chunk asked for at a time: the next query runs once the reader has taken the previous chunk.
    highWaterMark: 1,
    async read() {
      if (n === blob.chunks) {
        this.push(null);
        return;
      }
      try {
        const [row] = await db
          .select({ data: attachmentChunks.data })
          .from(attachmentChunks)
          .where(and(eq(attachmentChunks.sha256, sha256), eq(attachmentChunks.n, n)));
        if (!row) throw new Error(`Chunk ${n} of ${sha256} is missing (the bytes were deleted while being read).`);
        n += 1;
        this.push(row.data);
      } catch (error) {
        this.destroy(error as Error);
      }
    },
  });
}

/** Forgets the bytes of `sha256` (their chunks go with them); nothing happens when they are not stored. */
export async function deleteBlob(db: PgDb, sha256: string): Promise<void> {
  checkKey(sha256);
  await db.delete(attachmentBlobs).where(eq(attachmentBlobs.sha256, sha256));
}

/** How many bytes are stored, in how many blobs (for health and tests). */
export async function blobTotals(db: PgDb): Promise<{ blobs: number; chunks: number; bytes: number }> {
  const [row] = await db
    .execute<{ blobs: string; chunks: string; bytes: string }>(
      sql`
    SELECT (SELECT count(*) FROM attachment_blobs) AS blobs, (SELECT count(*) FROM attachment_chunks) AS chunks,
           (SELECT coalesce(sum(length(data)), 0) FROM attachment_chunks) AS bytes`,
    )
    .then((r) => r.rows);
  return { blobs: Number(row!.blobs), chunks: Number(row!.chunks), bytes: Number(row!.bytes) };
}

/**
 * The `BlobStore` on PostgreSQL. Uploads still arrive in a local folder (`tempDir`, default
 * `<os tmp>/secure-inbox-uploads`), where they are hashed and scanned; `put` streams the file into the database
 * and removes it.
 */
export function postgresBlobStore(db: PgDb, options: { tempDir?: string } = {}): BlobStore {
  const tempDir = options.tempDir ?? join(tmpdir(), 'secure-inbox-uploads');
  return {
    tempDir,
    async put(sha256, file) {
      checkKey(sha256);
      const stream = createReadStream(file, { highWaterMark: CHUNK_BYTES });
      try {
        // On a connection checked out here: one whose BEGIN fails goes back to the pool all the same (db.ts).
        await onOneConnection(db, (one) => writeBlob(one, sha256, stream));
      } finally {
        stream.destroy();
      }
      await unlink(file).catch(() => undefined);
    },
    get: (sha256) => readBlob(db, sha256),
    delete: (sha256) => deleteBlob(db, sha256),
    deleteInTransaction: (tx, sha256) => deleteBlob(tx as unknown as PgDb, sha256),
  };
}
