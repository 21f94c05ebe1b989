/**
 * Attachment bytes in PostgreSQL: a 20 MB file in and out with memory bounded by a few chunks, the BlobStore
 * contract of the folder store, and nothing left by a failed or aborted upload.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres, type PgDb } from '../../src/store/postgres/db.js';
import { blobTotals, CHUNK_BYTES, postgresBlobStore, readBlob, writeBlob } from '../../src/store/postgres/blobs.js';
import { useTestDatabase } from './database.js';

const MB = 1024 * 1024;

/** `total` bytes made 64 KiB at a time, each block different from the others; the same call gives the same bytes again. */
function generated(total: number, seed: number): () => AsyncGenerator<Buffer> {
  return async function* () {
    for (let offset = 0, i = 0; offset < total; i += 1) {
      const size = Math.min(64 * 1024, total - offset);
      const block = Buffer.alloc(size, (seed + i) % 256);
      for (let at = 0; at + 4 <= size; at += 4096) block.writeUInt32BE((i * 7919 + at) >>> 0, at);
      offset += size;
      yield block;
    }
  };
}

async function sha256Of(source: AsyncIterable<Buffer>): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const part of source) {
    hash.update(part);
    size += part.length;
  }
  return { sha256: hash.digest('hex'), size };
}

/**
 * The most memory (heap and buffers) held at once above the start while `work` runs, sampled every 100 ms after
 * collecting garbage twice (buffers are freed by a task after the collection that finds them unreachable).
 */
async function peakMemory(work: () => Promise<void>): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc (vitest.config.ts gives it to the postgres project)');
  const held = async () => {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const start = await held();
  let peak = 0;
  let done = false;
  const sampler = (async () => {
    while (!done) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      peak = Math.max(peak, (await held()) - start);
    }
  })();
  try {
    await work();
  } finally {
    done = true;
    await sampler;
  }
  return peak;
}

describe('attachment bytes in PostgreSQL', () => {
  const database = useTestDatabase();
  let db: PgDb;
  let temp: string;

  beforeAll(async () => {
    db = openPostgres(database.url(), { max: 2 });
    temp = await mkdtemp(join(tmpdir(), 'secure-inbox-pg-blobs-'));
  });
  afterAll(async () => {
    await db?.$client.end();
    if (temp) await rm(temp, { recursive: true, force: true });
  });

  it('streams 20 MB in and out with a few chunks in memory at a time', async () => {
    const file = generated(20 * MB, 1);
    const { sha256, size } = await sha256Of(file());
    expect(size).toBe(20 * MB);

    const inPeak = await peakMemory(async () => {
      expect(await writeBlob(db, sha256, Readable.from(file()))).toBe(true);
    });
    expect(await blobTotals(db)).toEqual({ blobs: 1, chunks: (20 * MB) / CHUNK_BYTES, bytes: 20 * MB });

    let read = { sha256: '', size: 0 };
    const outPeak = await peakMemory(async () => {
      read = await sha256Of((await readBlob(db, sha256))!);
    });
    expect(read).toEqual({ sha256, size });
    // Measured here: 1.5–1.9 MB in, 3.1–3.4 MB out (pg reads a chunk as 512 KB of hex); the file is 20 MB.
    expect(inPeak).toBeLessThan(6 * MB);
    expect(outPeak).toBeLessThan(6 * MB);
  });

  it('keeps what a failed or aborted upload sent out of the database', async () => {
    const before = await blobTotals(db);
    // The client goes away after 3 MB.
    async function* aborted() {
      let sent = 0;
      for await (const part of generated(10 * MB, 2)()) {
        if (sent >= 3 * MB) throw new Error('aborted');
        sent += part.length;
        yield part;
      }
    }
    await expect(writeBlob(db, 'a'.repeat(64), aborted())).rejects.toThrow('aborted');
    // Bytes that are not what their key says.
    await expect(writeBlob(db, 'b'.repeat(64), generated(MB, 3)())).rejects.toThrow(/hash to/);
    expect(await blobTotals(db)).toEqual(before);
    expect(await readBlob(db, 'a'.repeat(64))).toBeNull();
  });

  it('is a BlobStore: put takes over the file, get streams it, delete forgets it, the same bytes are stored once', async () => {
    const store = postgresBlobStore(db, { tempDir: temp });
    const bytes = randomBytes(CHUNK_BYTES * 2 + 17);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const before = await blobTotals(db);

    expect(await store.get(sha256)).toBeNull();
    await writeFile(join(temp, 'upload-1'), bytes);
    await writeFile(join(temp, 'upload-2'), bytes);
    await Promise.all([store.put(sha256, join(temp, 'upload-1')), store.put(sha256, join(temp, 'upload-2'))]);
    expect(await readdir(temp)).toEqual([]);
    expect(await blobTotals(db)).toEqual({ blobs: before.blobs + 1, chunks: before.chunks + 3, bytes: before.bytes + bytes.length });

    const chunks: Buffer[] = [];
    await pipeline((await store.get(sha256))!, async function (source: AsyncIterable<Buffer>) {
      for await (const part of source) chunks.push(part);
    });
    expect(Buffer.concat(chunks).equals(bytes)).toBe(true);

    await store.delete(sha256);
    await store.delete(sha256);
    expect(await store.get(sha256)).toBeNull();
    expect(await blobTotals(db)).toEqual(before);
    await expect(store.get('../etc/passwd')).rejects.toThrow('Not a SHA-256 key');
  });

  it('stores an empty file', async () => {
    const sha256 = createHash('sha256').digest('hex');
    expect(await writeBlob(db, sha256, Readable.from([]))).toBe(true);
    expect(await sha256Of((await readBlob(db, sha256))!)).toEqual({ sha256, size: 0 });
  });
});
