/**
 * Generates a Secure Inbox database of a given size (messages), with exactly the rows the app would
 * write: accounts, users, memberships, topics, conversations (with their seq pointers and the
 * public/hidden timestamps), conversation_users (participant, last read, last sent), messages,
 * message_properties (doNotReply) and the FTS5 `message_search` rows with the server's scope tokens.
 *
 * Words follow a Zipf-like distribution over a vocabulary of a few thousand words; marker words are
 * planted at known rates for the search benchmarks. Hidden notes (internal notes, resolve) are
 * about 14% of staff messages.
 *
 *   pnpm bench:gen [10k|100k|1m|<n>] [--force]
 *
 * Files are cached under bench/.data/ by size and by a fingerprint of the generator and the
 * migrations, so reruns are instant. The writer is better-sqlite3 with prepared statements in bulk
 * transactions; the schema comes from the server's own migrations (openDb).
 */
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDb } from '../packages/server/src/store/sqlite/client.js';
import { newId } from '../packages/server/src/domain/ids.js';
import { sanitizeRichText } from '../packages/server/src/domain/rich-text.js';
import { cleanPlainText, htmlToText } from '../packages/server/src/domain/text.js';
import { searchScopeTokens } from '../packages/server/src/store/sqlite/search.js';
import { dataDir, generatorFingerprint, parseSize } from './lib/paths.js';

// ------------------------------------------------------------------ what the benchmarks rely on
export interface Persona {
  sub: string;
  name: string;
  role: 'customer' | 'staff' | 'admin';
  accounts: string[];
  email: string;
}

export interface GeneratedMeta {
  size: string;
  messages: number;
  conversations: number;
  accounts: number;
  users: number;
  hiddenMessages: number;
  personas: { customer: Persona; staff: Persona; admin: Persona };
  /** Typical customers of different accounts (the widget's everyday users). */
  customers: Persona[];
  /** Staff members, each with a conversation they answer (the send benchmark). */
  senders: { user: Persona; conversationId: string }[];
  /** The planted 1,000-message thread (in the heavy customer's account, they take part). */
  bigThreadId: string;
  /** A typical thread of the heavy customer. */
  typicalThreadId: string;
  terms: { rare: string; common: string; frequent: string; veryCommon: string };
  /** Messages containing each term (all visibilities). */
  termHits: Record<string, number>;
  seconds: number;
  bytes: number;
}

export const MARKERS = { rare: 'qxrare', common: 'qxcommon', frequent: 'qxfrequent' } as const;
/** Fractions of messages carrying each marker. */
const MARKER_RATES = { rare: 0.0001, common: 0.01, frequent: 0.098 } as const;
/** At least this many messages carry the rare marker, so small sizes still find something. */
const MIN_RARE = 10;

// ------------------------------------------------------------------ deterministic randomness
function mulberry32(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ------------------------------------------------------------------ vocabulary
const COMMON_WORDS = (
  'the of and to a in is it you that he was for on are with as his they be at one have this from or had by not word but what some ' +
  'we can out other were all there when up use your how said an each she which do their time if will way about many then them ' +
  'write would like so these her long make thing see him two has look more day could go come did number sound no most people my ' +
  'over know water than call first who may down side been now find permit licence case file invoice payment account document ' +
  'please thanks question answer update status review inspection application request form tax return client matter contract ' +
  'hearing court deadline meeting schedule report attached upload signature approval fee refund balance statement portal'
).split(' ');
const SYLLABLES = 'ka lo mi ren tos vel dar pim sul ane bro cet fin gor hul jas kem lur mon nip or pex qua rid sto tum uv wes yar zel'.split(' ');

function buildVocabulary(size: number): string[] {
  const words = [...new Set(COMMON_WORDS)];
  const seen = new Set(words);
  const rnd = mulberry32(7);
  while (words.length < size) {
    const n = 2 + Math.floor(rnd() * 3);
    let w = '';
    for (let i = 0; i < n; i++) w += SYLLABLES[Math.floor(rnd() * SYLLABLES.length)];
    if (!seen.has(w) && !w.startsWith('qx')) {
      seen.add(w);
      words.push(w);
    }
  }
  return words;
}

/** Zipf sampler (s ≈ 1.07) over the vocabulary by inverse CDF. */
function zipfSampler(n: number, s: number, rnd: () => number) {
  const cdf = new Float64Array(n);
  let total = 0;
  for (let k = 0; k < n; k++) cdf[k] = total += 1 / Math.pow(k + 1, s);
  for (let k = 0; k < n; k++) cdf[k]! /= total;
  return () => {
    const u = rnd();
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

// ------------------------------------------------------------------ staff actions as the server maps them
// Codes: 0 customer reply, 1 staff reply, 2 send, 3 send_leave_open, 4 internal_note, 5 resolve, 6 status_update
const KIND = ['message', 'message', 'resolve_note', 'public_note', 'internal_note', 'resolve_note', 'status_update'] as const;
const HIDDEN = [false, false, false, false, true, true, false];
const STATUS_AFTER: (string | null)[] = ['open', null, 'answered', null, null, 'resolved', null];
const STAFF_ACTIONS: [number, number][] = [
  [1, 0.55],
  [2, 0.2],
  [3, 0.08],
  [4, 0.1],
  [5, 0.04],
  [6, 0.03],
];

function pickStaffAction(u: number): number {
  let acc = 0;
  for (const [code, p] of STAFF_ACTIONS) if (u < (acc += p)) return code;
  return 1;
}

// ------------------------------------------------------------------ generation
export function cachedDbPath(sizeRaw: string): { file: string; metaFile: string } {
  const { name } = parseSize(sizeRaw);
  const base = join(dataDir, `inbox-${name}-${generatorFingerprint()}`);
  return { file: `${base}.db`, metaFile: `${base}.json` };
}

/** Returns the cached database of this size, generating it first when needed. */
export function ensureDb(sizeRaw: string, options: { force?: boolean; log?: (line: string) => void } = {}): { file: string; meta: GeneratedMeta } {
  const log = options.log ?? ((line: string) => console.log(line));
  const { file, metaFile } = cachedDbPath(sizeRaw);
  if (!options.force && existsSync(file) && existsSync(metaFile)) {
    return { file, meta: JSON.parse(readFileSync(metaFile, 'utf8')) as GeneratedMeta };
  }
  mkdirSync(dataDir, { recursive: true });
  const { name, messages } = parseSize(sizeRaw);
  // Older generations of the same size are replaced.
  for (const f of readdirSync(dataDir)) if (f.startsWith(`inbox-${name}-`)) rmSync(join(dataDir, f), { force: true });
  const tmp = `${file}.tmp`;
  for (const suffix of ['', '-wal', '-shm']) rmSync(tmp + suffix, { force: true });
  const meta = generate(tmp, name, messages, log);
  renameSync(tmp, file);
  meta.bytes = statSync(file).size;
  writeFileSync(metaFile, JSON.stringify(meta, null, 2));
  log(`  ${file} (${(meta.bytes / 1e6).toFixed(0)} MB)`);
  return { file, meta };
}

function generate(file: string, sizeName: string, totalMessages: number, log: (line: string) => void): GeneratedMeta {
  const started = Date.now();
  const rnd = mulberry32(20240611 + totalMessages);
  log(`Generating ${totalMessages.toLocaleString('en')} messages into ${file}`);

  // ---- people and accounts
  const accountCount = Math.max(20, Math.round(totalMessages / 500));
  const staffCount = Math.max(8, Math.round(accountCount / 10));
  const customersPerAccount = 3;
  const accountIds = Array.from({ length: accountCount }, (_, i) => `acct-${String(i).padStart(5, '0')}`);
  interface User extends Persona {
    index: number;
  }
  const users: User[] = [];
  const customersOf: number[][] = accountIds.map(() => []);
  const staffOf: number[][] = accountIds.map(() => []);
  for (let a = 0; a < accountCount; a++) {
    for (let j = 0; j < customersPerAccount; j++) {
      const index = users.length;
      users.push({
        index,
        sub: `cust-${a}-${j}`,
        name: `Customer ${a}-${j}`,
        role: 'customer',
        accounts: [accountIds[a]!],
        email: `cust-${a}-${j}@example.com`,
      });
      customersOf[a]!.push(index);
    }
  }
  for (let k = 0; k < staffCount; k++) {
    const index = users.length;
    // Two staff members per account; each covers about 2 × accounts / staff accounts.
    const mine: string[] = [];
    for (let a = 0; a < accountCount; a++) {
      if (a % staffCount === k || (a + 1) % staffCount === k) {
        mine.push(accountIds[a]!);
        staffOf[a]!.push(index);
      }
    }
    users.push({ index, sub: `staff-${k}`, name: `Staff Member ${k}`, role: 'staff', accounts: mine, email: `staff-${k}@example.com` });
  }
  const admin: User = { index: users.length, sub: 'admin-0', name: 'Admin Zero', role: 'admin', accounts: ['*'], email: 'admin-0@example.com' };
  users.push(admin);

  // ---- conversations and their sizes
  const bigThreadSize = Math.min(1_000, Math.floor(totalMessages / 10));
  const conversationCount = Math.max(50, Math.round(totalMessages / 20));
  const convAccount = new Int32Array(conversationCount);
  const convCreator = new Int32Array(conversationCount);
  const convStaff = new Int32Array(conversationCount); // the staff member who answers
  const convSecond = new Int32Array(conversationCount).fill(-1); // a second customer recipient
  const convSize = new Int32Array(conversationCount);
  const heavyCustomer = customersOf[0]![0]!;
  for (let c = 0; c < conversationCount; c++) {
    const a = c === 0 || rnd() < 0.05 ? 0 : Math.floor(rnd() * accountCount);
    convAccount[c] = a;
    const customers = customersOf[a]!;
    const customer = a === 0 && (c === 0 || rnd() < 0.5) ? heavyCustomer : customers[Math.floor(rnd() * customers.length)]!;
    const staff = staffOf[a]![Math.floor(rnd() * staffOf[a]!.length)]!;
    convStaff[c] = staff;
    convCreator[c] = rnd() < 0.8 ? customer : staff;
    if (convCreator[c] === staff) convSecond[c] = customer;
    else if (rnd() < 0.2) {
      const other = customers.find((u) => u !== customer);
      if (other !== undefined) convSecond[c] = other;
    }
  }
  // Sizes: the planted big thread, the rest exponential around the mean, adjusted to sum exactly.
  convSize[0] = bigThreadSize;
  const remaining = totalMessages - bigThreadSize;
  const mean = remaining / (conversationCount - 1);
  let sum = 0;
  for (let c = 1; c < conversationCount; c++) {
    const n = Math.max(1, Math.min(400, Math.round(-Math.log(1 - rnd()) * mean)));
    convSize[c] = n;
    sum += n;
  }
  while (sum !== remaining) {
    const c = 1 + Math.floor(rnd() * (conversationCount - 1));
    if (sum < remaining && convSize[c]! < 400) {
      convSize[c]!++;
      sum++;
    } else if (sum > remaining && convSize[c]! > 1) {
      convSize[c]!--;
      sum--;
    }
  }

  // ---- message times: conversations start over two years; the big thread spans all of it
  const end = Date.UTC(2026, 0, 1);
  const span = 2 * 365 * 86_400_000;
  const msgConv = new Int32Array(totalMessages);
  const msgTime = new Float64Array(totalMessages);
  const convStart = new Int32Array(conversationCount); // index of each conversation's first message
  let m = 0;
  for (let c = 0; c < conversationCount; c++) {
    const n = convSize[c]!;
    convStart[c] = m;
    const gap = c === 0 ? span / (n + 1) : 6 * 3_600_000; // mean gap between replies
    let t = c === 0 ? end - span : end - span + rnd() * (span - Math.min(span * 0.5, n * gap));
    for (let i = 0; i < n; i++) {
      msgConv[m] = c;
      msgTime[m] = t;
      t += c === 0 ? gap : 60_000 + -Math.log(1 - rnd()) * gap;
      m++;
    }
  }
  const order = new Uint32Array(totalMessages);
  for (let i = 0; i < totalMessages; i++) order[i] = i;
  order.sort((x, y) => msgTime[x]! - msgTime[y]! || x - y);

  // ---- pass 1: who writes what, and each conversation's final state, in seq order
  const msgAuthor = new Int32Array(totalMessages);
  const msgAction = new Uint8Array(totalMessages);
  const convCount = new Int32Array(conversationCount);
  const convLastAuthorIsCustomer = new Uint8Array(conversationCount);
  const convStatus: string[] = new Array(conversationCount);
  const convFirst = new Int32Array(conversationCount);
  const convLast = new Int32Array(conversationCount);
  const convLastPublic = new Int32Array(conversationCount);
  const convUpdated = new Float64Array(conversationCount);
  const convPublicUpdated = new Float64Array(conversationCount);
  // Per conversation: user index → last seq they sent (participants are these plus the recipients).
  const convSent: Map<number, number>[] = Array.from({ length: conversationCount }, () => new Map());
  let hiddenMessages = 0;
  for (let s = 0; s < totalMessages; s++) {
    const i = order[s]!;
    const seq = s + 1;
    const c = msgConv[i]!;
    const at = msgTime[i]!;
    const creator = convCreator[c]!;
    const creatorIsCustomer = users[creator]!.role === 'customer';
    let author: number;
    let action: number;
    if (convCount[c] === 0) {
      author = creator;
      action = creatorIsCustomer ? 0 : 1;
      convStatus[c] = creatorIsCustomer ? 'open' : 'attentive';
      convFirst[c] = seq;
    } else if (convLastAuthorIsCustomer[c] ? rnd() < 0.85 : rnd() < 0.25) {
      author = convStaff[c]!;
      action = pickStaffAction(rnd());
    } else {
      const second = convSecond[c]!;
      const customer = creatorIsCustomer ? creator : second;
      author = second >= 0 && creatorIsCustomer && rnd() < 0.3 ? second : customer;
      action = 0;
    }
    msgAuthor[i] = author;
    msgAction[i] = action;
    convCount[c]!++;
    const hidden = HIDDEN[action]!;
    if (action !== 4 && action !== 5) convLastAuthorIsCustomer[c] = users[author]!.role === 'customer' ? 1 : 0;
    // insertMessage: pointers and timestamps
    convLast[c] = seq;
    convUpdated[c] = at;
    if (hidden) hiddenMessages++;
    else {
      convLastPublic[c] = seq;
      convPublicUpdated[c] = at;
    }
    convSent[c]!.set(author, seq);
    // postMessage: a status change is visible to customers even when the note is not
    const status = STATUS_AFTER[action];
    if (status && status !== convStatus[c] && convCount[c]! > 1) {
      convStatus[c] = status;
      convPublicUpdated[c] = at;
    }
  }

  // ---- write
  const db = openDb(file);
  const sqlite: Database.Database = db.$client;
  sqlite.pragma('synchronous = OFF');
  sqlite.pragma('cache_size = -400000');
  const iso = (t: number) => new Date(t).toISOString();

  const vocabulary = buildVocabulary(4_000);
  const zipf = zipfSampler(vocabulary.length, 1.07, rnd);
  const words = (n: number) => {
    const out: string[] = new Array(n);
    for (let k = 0; k < n; k++) out[k] = vocabulary[zipf()]!;
    return out;
  };
  const sentence = (list: string[]) => {
    const text = list.join(' ');
    return text.charAt(0).toUpperCase() + text.slice(1) + '.';
  };

  const subjects: string[] = new Array(conversationCount);
  const convIds: string[] = new Array(conversationCount);
  for (let c = 0; c < conversationCount; c++) {
    convIds[c] = newId('c', msgTime[convStart[c]!]!);
    subjects[c] = cleanPlainText(sentence(words(3 + Math.floor(rnd() * 5))).slice(0, -1));
  }
  subjects[0] = 'Building permit 2024-118: full correspondence';

  const topics = ['Permits', 'Billing', 'Inspections', 'General question'].map((name, i) => ({ id: `topic-${i}`, name }));
  sqlite.transaction(() => {
    const insAccount = sqlite.prepare('INSERT INTO accounts (id, name, created_at) VALUES (?, ?, ?)');
    for (const id of accountIds) insAccount.run(id, `Client ${id.slice(5)}`, iso(end - span));
    const insUser = sqlite.prepare('INSERT INTO users (id, name, email, role, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)');
    const insMember = sqlite.prepare('INSERT INTO memberships (user_id, account_id) VALUES (?, ?)');
    for (const u of users) {
      insUser.run(u.sub, u.name, u.email, u.role, iso(end - span), iso(end - span));
      if (u.accounts[0] !== '*') for (const a of u.accounts) insMember.run(u.sub, a);
    }
    const insTopic = sqlite.prepare('INSERT INTO topics (id, name, description, position) VALUES (?, ?, ?, ?)');
    topics.forEach((t, i) => insTopic.run(t.id, t.name, '', i));

    const insConv = sqlite.prepare(`INSERT INTO conversations (id, account_id, subject, topic_id, context_kind, context_ref, context_title, context_url,
      status, assignee_id, created_by, created_at, updated_at, public_updated_at, last_seq, last_public_seq, first_seq)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const insCu =
      sqlite.prepare(`INSERT INTO conversation_users (conversation_id, user_id, participant, has_left, trashed, last_read_seq, forced_unread, last_sent_seq, joined_at)
      VALUES (?, ?, 1, 0, ?, ?, 0, ?, ?)`);
    for (let c = 0; c < conversationCount; c++) {
      const createdAt = iso(msgTime[convStart[c]!]!);
      const hasContext = rnd() < 0.4;
      const topic = rnd() < 0.7 ? topics[Math.floor(rnd() * topics.length)]!.id : null;
      insConv.run(
        convIds[c],
        accountIds[convAccount[c]!],
        subjects[c],
        topic,
        hasContext ? 'permit' : null,
        hasContext ? `P-${100000 + c}` : null,
        hasContext ? `Permit P-${100000 + c}` : null,
        hasContext ? `https://portal.example.com/permits/${100000 + c}` : null,
        convStatus[c],
        rnd() < 0.6 ? users[convStaff[c]!]!.sub : null,
        users[convCreator[c]!]!.sub,
        createdAt,
        iso(convUpdated[c]!),
        iso(convPublicUpdated[c]!),
        convLast[c],
        convLastPublic[c],
        convFirst[c],
      );
      // Participants: the creator and recipients from the start, then everyone who wrote.
      const participants = new Set<number>([convCreator[c]!]);
      if (convSecond[c]! >= 0) participants.add(convSecond[c]!);
      for (const u of convSent[c]!.keys()) participants.add(u);
      for (const u of participants) {
        const user = users[u]!;
        const sent = convSent[c]!.get(u) ?? 0;
        const seesAll = user.role !== 'customer';
        const latest = seesAll ? convLast[c]! : convLastPublic[c]!;
        const read = rnd() < 0.7 ? Math.max(latest, sent) : sent;
        insCu.run(convIds[c], user.sub, rnd() < 0.03 ? 1 : 0, read, sent, createdAt);
      }
    }
  })();

  log(`  structure: ${accountCount} accounts, ${users.length} users, ${conversationCount} conversations (${((Date.now() - started) / 1000).toFixed(1)} s)`);

  const insMsg = sqlite.prepare(`INSERT INTO messages (seq, id, conversation_id, account_id, kind, body, text, author_id, tip, do_not_reply, created_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const insProp = sqlite.prepare(`INSERT INTO message_properties (message_seq, key, value) VALUES (?, 'doNotReply', ?)`);
  const insSearch = sqlite.prepare('INSERT INTO message_search (rowid, subject, body, scope) VALUES (?, ?, ?, ?)');
  const scopeCache = new Map<number, string>();
  const scopeOf = (c: number, hidden: boolean) => {
    const key = c * 2 + (hidden ? 1 : 0);
    let scope = scopeCache.get(key);
    if (scope === undefined) {
      scope = searchScopeTokens({ id: convIds[c]!, accountId: accountIds[convAccount[c]!]! }, { hidden });
      scopeCache.set(key, scope);
    }
    return scope;
  };
  const termHits: Record<string, number> = { [MARKERS.rare]: 0, [MARKERS.common]: 0, [MARKERS.frequent]: 0, [vocabulary[0]!]: 0 };
  const BATCH = 20_000;
  const writeBatch = sqlite.transaction((from: number, to: number) => {
    for (let s = from; s < to; s++) {
      const i = order[s]!;
      const seq = s + 1;
      const c = msgConv[i]!;
      const action = msgAction[i]!;
      const hidden = HIDDEN[action]!;
      const list = words(5 + Math.floor(-Math.log(1 - rnd()) * 20));
      if (rnd() < Math.max(MARKER_RATES.rare, MIN_RARE / totalMessages)) list.splice(Math.floor(rnd() * list.length), 0, MARKERS.rare);
      if (rnd() < MARKER_RATES.common) list.splice(Math.floor(rnd() * list.length), 0, MARKERS.common);
      if (rnd() < MARKER_RATES.frequent) list.splice(Math.floor(rnd() * list.length), 0, MARKERS.frequent);
      const body = `<p>${sentence(list)}</p>`;
      if (s < 50 && sanitizeRichText(body) !== body) throw new Error(`generated body changes when sanitized: ${body}`);
      const text = htmlToText(body);
      for (const term of Object.keys(termHits)) if (list.includes(term)) termHits[term]!++;
      insMsg.run(
        seq,
        newId('m', msgTime[i]!),
        convIds[c],
        accountIds[convAccount[c]!],
        KIND[action],
        body,
        text,
        users[msgAuthor[i]!]!.sub,
        action === 2 && rnd() < 0.05 ? 'Tip: upload the signed form from the Documents tab.' : null,
        hidden ? 1 : 0,
        iso(msgTime[i]!),
      );
      insProp.run(seq, String(hidden));
      insSearch.run(seq, subjects[c], text, scopeOf(c, hidden));
    }
  });
  for (let from = 0; from < totalMessages; from += BATCH) {
    writeBatch(from, Math.min(totalMessages, from + BATCH));
    if ((from / BATCH) % 10 === 9) log(`  ${(from + BATCH).toLocaleString('en')} messages (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  }
  sqlite.pragma('wal_checkpoint(TRUNCATE)');
  sqlite.close();

  // ---- who the benchmarks act as
  const persona = (u: User): Persona => ({ sub: u.sub, name: u.name, role: u.role, accounts: u.accounts, email: u.email });
  const staffPersona = users[staffOf[0]![0]!]!;
  const senders: GeneratedMeta['senders'] = [];
  for (let c = 1; c < conversationCount && senders.length < 400; c += Math.max(1, Math.floor(conversationCount / 400))) {
    senders.push({ user: persona(users[convStaff[c]!]!), conversationId: convIds[c]! });
  }
  let typical = 1;
  for (let c = 1; c < conversationCount; c++) {
    if (convCreator[c] === heavyCustomer && convSize[c]! >= 15 && convSize[c]! <= 30) {
      typical = c;
      break;
    }
  }
  const sampleCustomers = Math.min(50, accountCount - 1);
  const seconds = (Date.now() - started) / 1000;
  log(`  done in ${seconds.toFixed(1)} s: ${hiddenMessages.toLocaleString('en')} hidden notes; hits ${JSON.stringify(termHits)}`);
  return {
    size: sizeName,
    messages: totalMessages,
    conversations: conversationCount,
    accounts: accountCount,
    users: users.length,
    hiddenMessages,
    personas: { customer: persona(users[heavyCustomer]!), staff: persona(staffPersona), admin: persona(admin) },
    customers: Array.from({ length: sampleCustomers }, (_, k) => persona(users[customersOf[1 + Math.floor((k * (accountCount - 1)) / sampleCustomers)]![1]!]!)),
    senders,
    bigThreadId: convIds[0]!,
    typicalThreadId: convIds[typical]!,
    terms: { ...MARKERS, veryCommon: vocabulary[0]! },
    termHits,
    seconds,
    bytes: 0,
  };
}

// ------------------------------------------------------------------ command line
if (process.argv[1] && /generate\.ts$/.test(process.argv[1])) {
  const args = process.argv.slice(2);
  const force = args.includes('--force');
  const sizes = args.filter((a) => !a.startsWith('--'));
  for (const size of sizes.length ? sizes : ['10k', '100k', '1m']) {
    const { file, meta } = ensureDb(size, { force });
    console.log(
      `${size}: ${meta.messages.toLocaleString('en')} messages, ${meta.conversations.toLocaleString('en')} conversations, ` +
        `${meta.hiddenMessages.toLocaleString('en')} hidden notes, ${(meta.bytes / 1e6).toFixed(0)} MB, generated in ${meta.seconds.toFixed(1)} s → ${file}`,
    );
  }
}
