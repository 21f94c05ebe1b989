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
import type { Db } from '../store/sqlite/client.js';
import { homeOf } from '../store/runtime.js';
import { changeVersion } from './change-versions.js';
import { folderCounts, listConversations, type FolderCounts } from './conversations.js';
import type { Viewer } from './visibility.js';

/** Pages larger than this (a long page of long subjects) are not kept. */
const MAX_PAGE_BYTES = 256 * 1024;
/** Folder counts are small: they are bounded by how many viewers are kept. */
const MAX_KEPT_COUNTS = 10_000;

/**
 * Values kept per viewer and question, each with the change version it was computed at, within a
 * budget of `sizeOf` units in all; the least recently used go first.
 */
class Kept<T> {
  #entries = new Map<string, { version: string; value: T; size: number }>();
  #used = 0;

  constructor(private readonly sizeOf: (value: T) => number) {}

  /**
   * The value kept under `key` at `version`, or a fresh one from `compute`, kept when it fits `budget`. `version`
   * is read before `compute` starts, so a value computed while a change commits is kept under the version from
   * before it and computed again on the next request.
   */
  async get(key: string, version: string, budget: number, compute: () => Promise<T>): Promise<T> {
    const hit = this.#entries.get(key);
    this.#forget(key);
    if (hit && hit.version === version) {
      // Most recently used last: the map's first entries are the ones to forget first.
      this.#entries.set(key, hit);
      this.#used += hit.size;
      return hit.value;
    }
    const value = await compute();
    const size = this.sizeOf(value);
    // Another request for the same key may have kept its value while this one was computed: this one replaces it.
    this.#forget(key);
    if (size <= budget) {
      while (this.#used + size > budget) this.#forget(this.#entries.keys().next().value!);
      this.#entries.set(key, { version, value, size });
      this.#used += size;
    }
    return value;
  }

  #forget(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    this.#used -= entry.size;
  }
}

const pages = new WeakMap<object, Kept<Uint8Array<ArrayBuffer>>>();
const counts = new WeakMap<object, Kept<FolderCounts>>();

function keptFor<T>(all: WeakMap<object, Kept<T>>, db: Db, sizeOf: (value: T) => number): Kept<T> {
  let kept = all.get(homeOf(db));
  if (!kept) all.set(homeOf(db), (kept = new Kept(sizeOf)));
  return kept;
}

const encode = (page: unknown): Uint8Array<ArrayBuffer> => Buffer.from(JSON.stringify(page));
/** Pages count by their bytes; one too large for MAX_PAGE_BYTES never fits. */
const pageSize = (json: Uint8Array) => (json.byteLength <= MAX_PAGE_BYTES ? json.byteLength : Infinity);

/**
 * A page of the viewer's list as JSON (UTF-8): the kept one while nothing they see has changed, else a
 * fresh one. Kept pages hold at most `budgetBytes` in all (SECURE_INBOX_PAGE_CACHE_MB); the least
 * recently used go first, and 0 keeps none.
 */
export async function listPageJson(db: Db, viewer: Viewer, query: ListConversationsQuery, budgetBytes: number): Promise<Uint8Array<ArrayBuffer>> {
  const fresh = async () => encode(await listConversations(db, viewer, query));
  if (query.q !== undefined || budgetBytes === 0) return fresh();
  const key = JSON.stringify([viewer.id, viewer.role, viewer.accounts, query]);
  return keptFor(pages, db, pageSize).get(key, changeVersion(db, viewer.id), budgetBytes, fresh);
}

/** The viewer's folder counts: the kept ones while nothing they see has changed, else fresh ones (always, with `keep` off). */
export async function keptFolderCounts(db: Db, viewer: Viewer, keep: boolean): Promise<FolderCounts> {
  const fresh = () => folderCounts(db, viewer);
  if (!keep) return fresh();
  const key = JSON.stringify([viewer.id, viewer.role, viewer.accounts]);
  return keptFor(counts, db, () => 1).get(key, changeVersion(db, viewer.id), MAX_KEPT_COUNTS, fresh);
}
