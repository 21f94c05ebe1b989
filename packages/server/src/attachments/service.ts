/**
 * Attachments: receiving an upload (streamed, typed from its bytes, scanned, stored) and handing its
 * bytes out again to those who may see them. Who may see an attachment is decided by
 * domain/visibility.ts: its uploader until it is sent, afterwards whoever may see the message
 * carrying it (so files on hidden notes never reach customers).
 */
import type { Attachment } from '@secure-inbox/protocol';
import { sql } from 'drizzle-orm';
import { createReadStream } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Config } from '../config.js';
import type { Db } from '../store/sqlite/client.js';
import { serializeFor, transaction } from '../store/runtime.js';
import { execute, firstRow, rows } from '../store/sql.js';
import { audit } from '../domain/audit.js';
import { newId } from '../domain/ids.js';
import { seesMessageBySeq, type Viewer } from '../domain/visibility.js';
import { ApiError, notFound } from '../errors.js';
import { startPeriodic } from '../periodic.js';
import { oneInstanceAtATime } from '../store/postgres/cluster/singleton.js';
import { cleanFileName } from './names.js';
import { noScanner, scannerFor, type Scanner, type ScanVerdict } from './scanner.js';
import { decideType } from './sniff.js';
import { diskStore, discard, prepareTempDir, type BlobStore } from './storage.js';
import { receiveUpload } from './upload.js';

export type ScanStatus = 'pending' | 'clean' | 'infected';

export interface AttachmentServices {
  store: BlobStore;
  scanner: Scanner;
}

const services = new WeakMap<Config, AttachmentServices>();

/** The store and scanner used with a configuration: local disk under `<dataDir>/attachments` and the configured scanner. */
export function attachmentServices(config: Config): AttachmentServices {
  let found = services.get(config);
  if (!found) {
    found = { store: diskStore(join(config.dataDir, 'attachments')), scanner: scannerFor(config.clamdUrl) };
    services.set(config, found);
  }
  return found;
}

/** Replaces the store or the scanner used with `config` (an embedding that keeps files elsewhere). */
export function useAttachmentServices(config: Config, replace: Partial<AttachmentServices>): void {
  services.set(config, { ...attachmentServices(config), ...replace });
}

interface AttachmentRow {
  id: string;
  uploaderId: string;
  name: string;
  size: number;
  contentType: string;
  sha256: string;
  messageSeq: number | null;
  scanStatus: ScanStatus;
  conversationId: string | null;
}

export const attachmentJson = (row: Pick<AttachmentRow, 'id' | 'name' | 'size' | 'contentType' | 'scanStatus'>): Attachment => ({
  id: row.id,
  name: row.name,
  size: row.size,
  contentType: row.contentType,
  scanStatus: row.scanStatus,
});

/** Bytes the user's uploads take. A number on both stores (PostgreSQL's sum of a bigint is a numeric, read as a string). */
const usedBytes = async (db: Db, userId: string) =>
  Number((await firstRow<{ used: number | string }>(db, sql`SELECT coalesce(sum(size), 0) AS used FROM attachments WHERE uploader_id = ${userId}`))?.used ?? 0);

const overQuota = (used: number, quota: number) =>
  new ApiError(
    413,
    'too_large',
    `Your attachments already take ${used} of your ${quota}-byte upload quota and this file does not fit (SECURE_INBOX_UPLOAD_QUOTA_BYTES).`,
    { used, quota },
  );

// ------------------------------------------------------------------ scanning
/** Scans in flight, by SHA-256: the same bytes are never scanned twice at once. */
const inFlight = new Map<string, Promise<ScanStatus>>();

/** Records a verdict for every upload of the same bytes; infected bytes are removed from the store. */
async function recordVerdict(db: Db, store: BlobStore, sha256: string, verdict: ScanVerdict): Promise<ScanStatus> {
  if (verdict.infected) {
    await transaction(db, async (tx) => {
      await execute(tx, sql`UPDATE attachments SET scan_status = 'infected' WHERE sha256 = ${sha256}`);
      await audit(tx, {
        actorId: null,
        action: 'attachment.quarantine',
        outcome: 'ok',
        targetType: 'sha256',
        targetId: sha256,
        detail: { signature: verdict.signature },
      });
    });
    await store.delete(sha256);
    return 'infected';
  }
  await transaction(db, (tx) => execute(tx, sql`UPDATE attachments SET scan_status = 'clean' WHERE sha256 = ${sha256} AND scan_status = 'pending'`));
  return 'clean';
}

/** Scans bytes, or answers null when the scanner could not say (the upload stays pending). */
async function tryScan(scanner: Scanner, open: () => Promise<Readable | null>): Promise<ScanVerdict | null> {
  try {
    const bytes = await open();
    return bytes ? await scanner.scan(bytes) : null;
  } catch (error) {
    console.warn(`Attachment scan with ${scanner.name} failed; the upload stays pending: ${error instanceof Error ? error.message : String(error)}`);
    return null;
  }
}

function once(sha256: string, run: () => Promise<ScanStatus>): Promise<ScanStatus> {
  let running = inFlight.get(sha256);
  if (!running) {
    running = run().finally(() => inFlight.delete(sha256));
    inFlight.set(sha256, running);
  }
  return running;
}

// ------------------------------------------------------------------ one stored file at a time
/** What `serializeFor` locks for the stored bytes of `sha256` (on PostgreSQL, across instances). */
export const storedFileKey = (sha256: string) => `stored-file:${sha256}`;

const fileQueues = new Map<string, Promise<unknown>>();

/**
 * Runs `run` after every earlier operation on the stored file `sha256` (the same bytes are stored
 * once, whoever uploaded them): an upload adding a row and storing the bytes, a prune removing rows
 * and, when none is left, the bytes.
 */
function withStoredFile<T>(sha256: string, run: () => Promise<T>): Promise<T> {
  const result = (fileQueues.get(sha256) ?? Promise.resolve()).then(run);
  const settled = result.then(
    () => undefined,
    () => undefined,
  );
  fileQueues.set(sha256, settled);
  void settled.then(() => {
    if (fileQueues.get(sha256) === settled) fileQueues.delete(sha256);
  });
  return result;
}

// ------------------------------------------------------------------ unsent uploads
/** Uploads never sent with a message are removed this long after they were uploaded. */
const UNSENT_UPLOAD_HOURS = 24;

/**
 * Removes uploads older than UNSENT_UPLOAD_HOURS that were never sent (a draft left, a chip removed
 * before sending), so that they no longer count against their uploader's quota, and their bytes
 * unless a kept upload holds the same ones. Returns how many uploads were removed.
 */
export async function pruneUnsentUploads(db: Db, config: Config, now = Date.now()): Promise<number> {
  const cutoff = new Date(now - UNSENT_UPLOAD_HOURS * 3600_000).toISOString();
  const { store } = attachmentServices(config);
  const files = await rows<{ sha256: string }>(db, sql`SELECT DISTINCT sha256 FROM attachments WHERE message_seq IS NULL AND created_at < ${cutoff}`);
  let removed = 0;
  for (const { sha256 } of files) {
    await withStoredFile(sha256, async () => {
      const orphaned = await transaction(db, async (tx) => {
        // An upload of the same bytes through another instance waits for this, and this for it (uploadAttachment).
        await serializeFor(tx, storedFileKey(sha256));
        removed += await execute(tx, sql`DELETE FROM attachments WHERE sha256 = ${sha256} AND message_seq IS NULL AND created_at < ${cutoff}`);
        const none = !(await firstRow(tx, sql`SELECT 1 AS kept FROM attachments WHERE sha256 = ${sha256}`));
        // Bytes kept in the database go in this transaction, before the lock is let go: deleted after it, they could
        // be the bytes another instance's upload of the same file has just found stored and so did not store again.
        if (none && store.deleteInTransaction) {
          await store.deleteInTransaction(tx, sha256);
          return false;
        }
        return none;
      });
      if (orphaned) await store.delete(sha256);
    });
  }
  return removed;
}

/** Prunes unsent uploads once now and then every `intervalMs`; returns a function that stops it (after a run in progress). */
export function startUploadPruner(db: Db, config: Config, intervalMs = 3600_000, log: (line: string) => void = console.warn): () => Promise<void> {
  // On PostgreSQL one instance at a time prunes: the others skip their turn while it does.
  return startPeriodic(
    () => oneInstanceAtATime(db, 'upload-pruner', () => pruneUnsentUploads(db, config)),
    intervalMs,
    (error) => log(`removing unsent uploads failed: ${error.message}`),
  );
}

// ------------------------------------------------------------------ upload
/**
 * Receives one upload for `viewer`: 415/413/422 as receiveUpload and decideType say, 413 over the
 * user's quota. Scanned before its bytes are stored, so infected bytes never reach the store.
 */
export async function uploadAttachment(db: Db, config: Config, viewer: Viewer, request: Request, incoming?: IncomingMessage): Promise<Attachment> {
  const { store, scanner } = attachmentServices(config);
  const quota = config.uploadQuotaBytes;
  const before = await usedBytes(db, viewer.id);
  if (before >= quota) throw overQuota(before, quota);

  await prepareTempDir(store);
  const file = await receiveUpload(request, store.tempDir, config.maxUploadBytes, incoming);
  try {
    const decided = await decideType(file.path, cleanFileName(file.clientName), file);
    const id = newId('att');
    const scanned = scanner !== noScanner;
    // From the row to the stored bytes, one file at a time with the pruning of unsent uploads
    // (pruneUnsentUploads), which could otherwise remove these bytes as another upload's.
    return await withStoredFile(file.sha256, async () => {
      await transaction(db, async (tx) => {
        // Two uploads of one user at once (through one instance or two) must not both fit in the room left for one.
        await serializeFor(tx, `upload-quota:${viewer.id}`);
        // Nor may a prune on another instance take these bytes away between this row and storing them (pruneUnsentUploads).
        await serializeFor(tx, storedFileKey(file.sha256));
        const used = await usedBytes(tx, viewer.id);
        if (used + file.size > quota) throw overQuota(used, quota);
        await execute(
          tx,
          sql`INSERT INTO attachments (id, uploader_id, name, size, content_type, sha256, scan_status)
                   VALUES (${id}, ${viewer.id}, ${decided.name}, ${file.size}, ${decided.contentType}, ${file.sha256},
                           ${scanned ? 'pending' : 'clean'})`,
        );
        await audit(tx, {
          actorId: viewer.id,
          action: 'attachment.upload',
          outcome: 'ok',
          targetType: 'attachment',
          targetId: id,
          detail: { size: file.size, contentType: decided.contentType },
        });
      });

      let status: ScanStatus = scanned ? 'pending' : 'clean';
      const verdict = scanned ? await tryScan(scanner, async () => createReadStream(file.path)) : null;
      if (verdict?.infected) {
        status = await recordVerdict(db, store, file.sha256, verdict);
      } else {
        try {
          await store.put(file.sha256, file.path);
        } catch (error) {
          await transaction(db, (tx) => execute(tx, sql`DELETE FROM attachments WHERE id = ${id}`));
          throw error;
        }
        if (verdict) status = await recordVerdict(db, store, file.sha256, verdict);
      }
      return attachmentJson({ id, name: decided.name, size: file.size, contentType: decided.contentType, scanStatus: status });
    });
  } finally {
    await discard(file.path);
  }
}

// ------------------------------------------------------------------ download
function loadRow(db: Db, id: string): Promise<AttachmentRow | undefined> {
  return firstRow<AttachmentRow>(
    db,
    sql`
    SELECT a.id, a.uploader_id AS "uploaderId", a.name, a.size, a.content_type AS "contentType", a.sha256,
           a.message_seq AS "messageSeq", a.scan_status AS "scanStatus", m.conversation_id AS "conversationId"
    FROM attachments a LEFT JOIN messages m ON m.seq = a.message_seq
    WHERE a.id = ${id}`,
  );
}

/**
 * Throws the attachment 404 unless the viewer may see it: the uploader before it is sent, afterwards
 * whoever may see its message (visibility.ts `messageReachable`: in its thread, or on the Status tab
 * for a status update; hidden notes and staff-only messages included), so the Status tab lists
 * exactly the files its readers may download.
 */
async function assertVisible(db: Db, viewer: Viewer, row: AttachmentRow): Promise<void> {
  const deny = async () => {
    await audit(db, { actorId: viewer.id, action: 'attachment.read', outcome: 'denied', targetType: 'attachment', targetId: row.id });
    return notFound('attachment');
  };
  if (row.messageSeq === null || row.conversationId === null) {
    if (row.uploaderId !== viewer.id) throw await deny();
    return;
  }
  if (!(await seesMessageBySeq(db, viewer, row.messageSeq))) throw await deny();
}

export interface OpenedAttachment {
  name: string;
  size: number;
  contentType: string;
  bytes: Readable;
}

/**
 * Opens an attachment's bytes for `viewer`. The same 404 for unknown ids and ones the viewer may not
 * see; 409 while it waits for its virus scan (one more scan is tried first) and once it was found infected.
 */
export async function openAttachment(db: Db, config: Config, viewer: Viewer, id: string): Promise<OpenedAttachment> {
  const row = await loadRow(db, id);
  if (!row) throw notFound('attachment');
  await assertVisible(db, viewer, row);

  const { store, scanner } = attachmentServices(config);
  let status = row.scanStatus;
  if (status === 'pending') {
    status = await once(row.sha256, async () => {
      const verdict = await tryScan(scanner, () => store.get(row.sha256));
      return verdict ? recordVerdict(db, store, row.sha256, verdict) : 'pending';
    });
  }
  if (status === 'infected') {
    throw new ApiError(409, 'conflict', `"${row.name}" was found to carry malware and has been quarantined; it cannot be downloaded.`, {
      scanStatus: 'infected',
    });
  }
  if (status === 'pending') {
    throw new ApiError(
      409,
      'conflict',
      `"${row.name}" is still waiting for its virus scan; try again in a minute.`,
      { scanStatus: 'pending' },
      { 'Retry-After': '30' },
    );
  }
  const bytes = await store.get(row.sha256);
  if (!bytes) throw notFound('attachment');
  return { name: row.name, size: row.size, contentType: row.contentType, bytes };
}
