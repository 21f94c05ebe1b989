/**
 * Inbox pages and folder counts kept per viewer until something they could see changes.
 *
 * A page of the list costs a few joins per row (previews, unread counts); the same page is asked for
 * again and again (every widget opening, every tab, every return to the inbox) while nothing in it
 * changed. What a viewer's list shows changes only through writes that also move their
 * changeVersion (change-versions.ts): every change a user may see appends an event to their own log
 * (the live widget refreshes on exactly those, and the event tests hold every action to it), sign-in
 * updates names, and other connections' writes show in SQLite's data_version.
 *
 * A page is kept with that version and served while it has not moved. The key is the viewer (id,
 * role, the accounts of their token) and the whole validated query, so a page only ever goes back to
 * the same viewer asking the same question, and visibility stays decided where it is, in
 * listConversations. Searches are not kept: they are rarely repeated as they are. Folder counts
 * (`GET /me`, asked for on every live event) are kept the same way.
 */
import type { ListConversationsQuery } from '@secure-inbox/protocol';
import type { Db } from '../db/client.js';
import { changeVersion } from './change-versions.js';
import { folderCounts, listConversations, type FolderCounts } from './conversations.js';
import type { Viewer } from './visibility.js';

/** Pages larger than this (a long page of long subjects) are not kept. */
const MAX_PAGE_BYTES = 256 * 1024;

interface Kept {
  version: string;
  /** The answer's body, encoded once (sending a string encodes it on every answer). */
  json: Uint8Array<ArrayBuffer>;
}

interface Pages {
  byKey: Map<string, Kept>;
  bytes: number;
}

const all = new WeakMap<object, Pages>();

function forget(pages: Pages, key: string): void {
  const kept = pages.byKey.get(key);
  if (!kept) return;
  pages.byKey.delete(key);
  pages.bytes -= kept.json.byteLength;
}
const encode = (page: unknown): Uint8Array<ArrayBuffer> => Buffer.from(JSON.stringify(page));

/**
 * A page of the viewer's list as JSON (UTF-8): the kept one while nothing they see has changed, else a
 * fresh one. Kept pages hold at most `budgetBytes` in all (SECURE_INBOX_PAGE_CACHE_MB); the least
 * recently used go first, and 0 keeps none.
 */
export function listPageJson(db: Db, viewer: Viewer, query: ListConversationsQuery, budgetBytes: number): Uint8Array<ArrayBuffer> {
  if (query.q !== undefined || budgetBytes === 0) return encode(listConversations(db, viewer, query));
  let pages = all.get(db.$client);
  if (!pages) all.set(db.$client, (pages = { byKey: new Map(), bytes: 0 }));
  const key = JSON.stringify([viewer.id, viewer.role, viewer.accounts, query]);
  const version = changeVersion(db, viewer.id);
  const hit = pages.byKey.get(key);
  if (hit && hit.version === version) {
    // Most recently used last: the map's first entries are the ones to forget first.
    pages.byKey.delete(key);
    pages.byKey.set(key, hit);
    return hit.json;
  }
  const json = encode(listConversations(db, viewer, query));
  forget(pages, key);
  if (json.byteLength <= Math.min(MAX_PAGE_BYTES, budgetBytes)) {
    while (pages.bytes + json.byteLength > budgetBytes) forget(pages, pages.byKey.keys().next().value!);
    pages.byKey.set(key, { version, json });
    pages.bytes += json.byteLength;
  }
  return json;
}

const MAX_KEPT_COUNTS = 10_000;
const counts = new WeakMap<object, Map<string, { version: string; counts: FolderCounts }>>();

/** The viewer's folder counts: the kept ones while nothing they see has changed, else fresh ones (always, with `keep` off). */
export function keptFolderCounts(db: Db, viewer: Viewer, keep: boolean): FolderCounts {
  if (!keep) return folderCounts(db, viewer);
  let kept = counts.get(db.$client);
  if (!kept) counts.set(db.$client, (kept = new Map()));
  const key = JSON.stringify([viewer.id, viewer.role, viewer.accounts]);
  const version = changeVersion(db, viewer.id);
  const hit = kept.get(key);
  kept.delete(key);
  if (hit && hit.version === version) {
    kept.set(key, hit);
    return hit.counts;
  }
  const fresh = folderCounts(db, viewer);
  if (kept.size >= MAX_KEPT_COUNTS) kept.delete(kept.keys().next().value!);
  kept.set(key, { version, counts: fresh });
  return fresh;
}
