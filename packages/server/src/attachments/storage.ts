/**
 * Where attachment bytes live. The embedded default keeps them on local disk under
 * `<dataDir>/attachments`, content-addressed by SHA-256, outside any web root; another store
 * (object storage, say) only has to implement `BlobStore`.
 */
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import type { Db } from '../store/sqlite/client.js';

export interface BlobStore {
  /** A folder on the same file system as the store where uploads are written while they arrive. */
  readonly tempDir: string;
  /** Takes over a complete file (moving it, or copying and deleting it) as the bytes of `sha256`. */
  put(sha256: string, file: string): Promise<void>;
  /** The bytes of `sha256`, or null when they are not stored. */
  get(sha256: string): Promise<Readable | null>;
  /** Forgets the bytes of `sha256`; nothing happens when they are not stored. */
  delete(sha256: string): Promise<void>;
  /**
   * A store that keeps the bytes in the database itself forgets them in the caller's transaction `tx` instead, so
   * that they go with the last row that held them, under that transaction's lock (service.ts, pruning).
   */
  deleteInTransaction?(tx: Db, sha256: string): Promise<void>;
}

const SHA256 = /^[0-9a-f]{64}$/;

function checkKey(sha256: string): void {
  if (!SHA256.test(sha256)) throw new Error(`Not a SHA-256 key: ${sha256}`);
}

/** The local-disk store: `<root>/ab/cd/<sha256>`, uploads in progress in `<root>/tmp`. */
export function diskStore(root: string): BlobStore {
  const base = resolve(root);
  const tempDir = join(base, 'tmp');
  const pathOf = (sha256: string) => join(base, sha256.slice(0, 2), sha256.slice(2, 4), sha256);

  return {
    tempDir,
    async put(sha256, file) {
      checkKey(sha256);
      const target = pathOf(sha256);
      await mkdir(join(target, '..'), { recursive: true });
      // The same bytes are stored once; a rename within one file system is atomic.
      await rename(file, target);
    },
    async get(sha256) {
      checkKey(sha256);
      const target = pathOf(sha256);
      try {
        if (!(await stat(target)).isFile()) return null;
      } catch {
        return null;
      }
      return createReadStream(target);
    },
    async delete(sha256) {
      checkKey(sha256);
      await rm(pathOf(sha256), { force: true });
    },
  };
}

/** Removes a temporary file, ignoring one that is already gone. */
export async function discard(file: string): Promise<void> {
  await unlink(file).catch(() => undefined);
}

/** Creates the store's temp folder (for uploads to be written to). */
export async function prepareTempDir(store: BlobStore): Promise<void> {
  await mkdir(store.tempDir, { recursive: true });
}
