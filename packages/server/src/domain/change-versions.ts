/**
 * Versions of "what a user could see has changed", kept in memory for caches of derived pages
 * (list-cache.ts). Three things move them:
 *
 * - an event appended to a user's log (realtime/fanout.ts), which every change a user may see writes
 *   in its own transaction. The user's counter moves once that transaction has committed (the store's
 *   `afterCommit`): a page computed from the data before the commit is kept under the version before,
 *   never under the new one, and a transaction that rolls back moves nothing;
 * - sign-in updating names, roles and memberships from a token (domain/users.ts);
 * - a write by another connection to the database file (an operator's sqlite3 session), seen through
 *   SQLite's data_version, which is read at most every OTHER_WRITES_CHECK_MS rather than per request.
 *
 * Sends are written by the writer thread (store/sqlite/writer-thread.ts) on a connection of its own: it reports
 * the users of each group commit's events, which move here before any of its callers is answered, so its
 * commits expire only the kept pages of those users. Its commits move this connection's data_version too,
 * where they cannot be told from an operator's; the thread therefore also reads data_version on its own
 * connection after each group commit, which moves only for the commits of others: this thread's (counted
 * in memory both threads share, `writeCounters`) and any other program's (`checkOthers`). Each report says
 * whether others wrote since the previous one. What stays unattributed expires every kept page:
 *
 * - another program's write the thread saw (data_version moved, this thread committed nothing): at once;
 * - this connection's data_version moved while the thread wrote too: unless a later report of the thread,
 *   whose reading covers the same time, shows no other program's write, within THREAD_WRITES_CHECK_MS;
 * - the thread saw others write while this thread committed as well (either may have been the writer):
 *   within THREAD_WRITES_CHECK_MS.
 *
 * On PostgreSQL, with several instances on one database, the versions stay in each instance's memory and move by
 * what every instance already hears (store/postgres/cluster/instance.ts): a commit that appends events sends its users'
 * ids to every instance (pg_notify, cluster/wakeups.ts), whose listener moves those users' versions here
 * (`noteRemoteUserChanges`); a gap in those wake-ups (the listening connection was lost) expires every kept page
 * (`noteUnknownChanges`); a sign-in's directory change is sent as a signal and moves `directory` everywhere. This
 * instance's own commits still move its versions in `afterCommit`, before the writer is answered, so one instance
 * reads its own writes at once; another instance sees them once the notification arrives (PostgreSQL sends it as
 * the commit lands; on one network it arrives within about a millisecond). The alternative, versions
 * in the shared_versions table (cluster/counters.ts), bumped in every transaction that appends events and read on every
 * kept-page request, costs a round trip to the database per request, which is what keeping pages is there to save,
 * and a write per transaction; the notifications cost nothing more, being sent already for live updates. The race
 * stays as on SQLite: a kept page is keyed by the version read BEFORE it is computed (list-cache.ts), so a page
 * computed from data before a commit is never kept under the version a late notification moves to.
 */
import { observeLaneCommits, type Db } from '../store/sqlite/client.js';
import { homeOf, isPostgres } from '../store/runtime.js';

/** How stale a kept page may be after a write from outside the server's own connection. */
export const OTHER_WRITES_CHECK_MS = 100;
/** How stale a kept page may be after a write from outside while the writer thread keeps writing. */
export const THREAD_WRITES_CHECK_MS = 1_000;

/** Where the counters both threads read are kept in `writeCounters`. */
const OWN_COMMITS = 0;
const OWN_READS = 1;

interface Versions {
  sequence: number;
  users: Map<string, number>;
  directory: number;
  /** Moves when data_version shows a write this connection did not make and cannot account for. */
  otherWrites: number;
  otherWritesCheckedAt: number;
  dataVersion: number | null;
  /** The writer thread reported a commit since data_version was last read. */
  threadWrote: boolean;
  /** This thread's commits (that have events) and data_version readings, for the writer thread (`checkOthers`). */
  counters: Int32Array;
  /**
   * data_version moved while the writer thread wrote too: the readings from `first` to `last` (OWN_READS) may hide
   * another program's write made after `since` among the thread's commits; a report whose check covers them clears this.
   */
  ambiguous: { first: number; last: number; since: number } | null;
  /**
   * Another program may have written after this time (performance.now()) and nothing tells: everything expires
   * THREAD_WRITES_CHECK_MS after it.
   */
  unsureSince: number;
}

/** What the writer thread learnt from its data_version after a group commit (`checkOthers`). */
export interface OthersCheck {
  /** Commits of other connections since its previous check: none; this thread's or another program's (`maybe`); another program's. */
  others: 'none' | 'maybe' | 'outside';
  /** When the previous check was made (performance.timeOrigin + performance.now()). */
  since: number;
  /** This thread's readings of data_version (OWN_READS) made before this check read its own. */
  readsSeen: number;
  /** The first of this thread's readings whose time the thread's checks cover entirely. */
  firstCovered: number;
}

const watchers = new WeakMap<object, (userIds: readonly string[]) => void>();

const all = new WeakMap<object, Versions>();

function versions(db: Db): Versions {
  return versionsOf(homeOf(db));
}

function versionsOf(home: object): Versions {
  let v = all.get(home);
  if (!v) {
    all.set(
      home,
      (v = {
        sequence: 0,
        users: new Map(),
        directory: 0,
        otherWrites: 0,
        otherWritesCheckedAt: -Infinity,
        dataVersion: null,
        threadWrote: false,
        counters: new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT)),
        ambiguous: null,
        unsureSince: Infinity,
      }),
    );
  }
  return v;
}

/**
 * SQLite's count of commits by other connections to the database file, read on `connection` itself: a
 * pragma of the SQLite store, not a query of the data, so it is read at once and never awaits.
 */
const dataVersionOf = (connection: Db['$client']) => connection.pragma('data_version', { simple: true }) as number;

/**
 * The async transactions of a database file commit on a connection of their own (store/sqlite/client.ts
 * `transaction`), which moves this connection's data_version. Read just before such a commit, with its
 * write lock held, data_version tells whether others wrote before it; read just after, it takes the commit
 * in as this thread's own. The writer thread counts it as this thread's too (OWN_COMMITS).
 */
observeLaneCommits({
  before(home) {
    const v = all.get(home);
    if (!v) return;
    Atomics.add(v.counters, OWN_COMMITS, 1);
    noteReading(v, dataVersionOf(home), performance.now());
  },
  after(home) {
    const v = all.get(home);
    if (v) v.dataVersion = dataVersionOf(home);
  },
});

/** Memory shared with the writer thread: this connection's commits and data_version readings, counted. */
export function writeCounters(db: Db): SharedArrayBuffer {
  return versions(db).counters.buffer as SharedArrayBuffer;
}

function moveUsers(v: Versions, userIds: readonly string[]): void {
  const sequence = ++v.sequence;
  for (const id of userIds) v.users.set(id, sequence);
}

/** Something these users may see was written and committed on this connection (called where their events are appended). */
export function noteUserChanges(db: Db, userIds: readonly string[]): void {
  const v = versions(db);
  Atomics.add(v.counters, OWN_COMMITS, 1);
  moveUsers(v, userIds);
  watchers.get(homeOf(db))?.(userIds);
}

/** Calls `fn` with the users of every change noted on this connection (the writer thread reports them). */
export function watchUserChanges(db: Db, fn: (userIds: readonly string[]) => void): void {
  watchers.set(homeOf(db), fn);
}

/**
 * On the writer thread: reads its connection's data_version after each group commit and says whether other
 * connections committed since the previous reading, and whether the server's thread (`counters`, from
 * `writeCounters`) can account for them.
 */
export function othersChecker(db: Db, counters: SharedArrayBuffer): () => OthersCheck {
  const shared = new Int32Array(counters);
  const dataVersion = () => dataVersionOf(db.$client);
  // data_version first, the count of readings after: a reading counted later than this was made after it.
  let since = performance.timeOrigin + performance.now();
  let seen = dataVersion();
  const firstCovered = Atomics.load(shared, OWN_READS) + 3;
  let commits = Atomics.load(shared, OWN_COMMITS);
  return () => {
    // The counts first, data_version after: what they count happened before this reading.
    const readsSeen = Atomics.load(shared, OWN_READS);
    const nowCommits = Atomics.load(shared, OWN_COMMITS);
    const now = performance.timeOrigin + performance.now();
    const d = dataVersion();
    const others = d === seen ? 'none' : nowCommits === commits ? 'outside' : 'maybe';
    const check: OthersCheck = { others, since, readsSeen, firstCovered };
    seen = d;
    commits = nowCommits;
    since = now;
    return check;
  };
}

/** The writer thread committed changes to these users' data (reported after a group commit) and checked for others' writes. */
export function noteThreadWrites(db: Db, userIds: readonly string[], check: OthersCheck): void {
  const v = versions(db);
  v.threadWrote = true;
  if (userIds.length > 0) moveUsers(v, userIds);
  const now = performance.now();
  if (check.others === 'outside') expireAll(v);
  else if (check.others === 'maybe') v.unsureSince = Math.min(v.unsureSince, check.since - performance.timeOrigin);
  if (v.ambiguous && v.ambiguous.first >= check.firstCovered && check.readsSeen >= v.ambiguous.last) v.ambiguous = null;
  expireLate(v, now);
}

/** Sign-in changed a user's name, role or memberships. */
export function noteDirectoryChange(db: Db): void {
  versions(db).directory++;
  directoryPublishers.get(homeOf(db))?.();
}

const directoryPublishers = new WeakMap<object, () => void>();

/** Calls `fn` on every directory change noted here (the PostgreSQL instance tells the other instances). */
export function publishDirectoryChanges(db: Db, fn: () => void): void {
  directoryPublishers.set(homeOf(db), fn);
}

/** Another instance committed something these users may see (its wake-up reached this one). */
export function noteRemoteUserChanges(db: Db, userIds: readonly string[]): void {
  moveUsers(versions(db), userIds);
}

/** Another instance's sign-in changed a name, role or membership. */
export function noteRemoteDirectoryChange(db: Db): void {
  versions(db).directory++;
}

/** Anything may have changed and nothing says what (wake-ups were lost): every kept page expires. */
export function noteUnknownChanges(db: Db): void {
  expireAll(versions(db));
}

function expireAll(v: Versions): void {
  v.otherWrites++;
  v.ambiguous = null;
  v.unsureSince = Infinity;
}

/** Expires everything once a write that cannot be attributed is THREAD_WRITES_CHECK_MS old. */
function expireLate(v: Versions, now: number): void {
  const since = Math.min(v.unsureSince, v.ambiguous?.since ?? Infinity);
  if (now - since >= THREAD_WRITES_CHECK_MS) expireAll(v);
}

/** This connection's data_version read `now`: a change nothing accounts for expires every kept page. */
function noteReading(v: Versions, d: number, now: number): void {
  const reading = Atomics.add(v.counters, OWN_READS, 1) + 1;
  if (v.dataVersion !== null && d !== v.dataVersion) {
    if (!v.threadWrote) expireAll(v);
    else if (v.ambiguous) v.ambiguous.last = reading;
    else v.ambiguous = { first: reading, last: reading, since: v.otherWritesCheckedAt };
  }
  v.dataVersion = d;
  v.threadWrote = false;
  v.otherWritesCheckedAt = now;
}

/** The version of everything `userId` could see; it differs from before whenever any of it may have changed. */
export function changeVersion(db: Db, userId: string): string {
  const v = versions(db);
  const now = performance.now();
  // On PostgreSQL every write of this instance moves the versions itself, and another instance's through its wake-up.
  if (now - v.otherWritesCheckedAt >= OTHER_WRITES_CHECK_MS && !isPostgres(db)) {
    noteReading(v, dataVersionOf(homeOf(db) as Db['$client']), now);
  }
  expireLate(v, now);
  return `${v.users.get(userId) ?? 0}:${v.directory}:${v.otherWrites}`;
}
