/**
 * The data of `pnpm bench:traffic`: a plan of accounts, people, conversations and messages (deterministic for its
 * parameters), written into a running server through its public API, as a portal's users would write it.
 *
 * Shape (the defaults): 100 accounts of 10 customers each; 20 staff members, each covering 10 accounts (2 per
 * account); 4,000 conversations (40 per account), three in four opened by a customer, the others by staff naming one or
 * two customers of the account; 16,000 messages in all (the first of each conversation and 12,000 replies, each to a
 * conversation picked at random, by one of its customers or one of the account's staff: replies, Send, Send & leave
 * open, and internal notes the customers never see). Bodies are ordinary sentences carrying one or two words of a
 * 20-word vocabulary, the words searched for.
 */

export interface TrafficParams {
  accounts: number;
  customers: number;
  staff: number;
  conversations: number;
  messages: number;
}

export const DEFAULT_PARAMS: TrafficParams = { accounts: 100, customers: 1_000, staff: 20, conversations: 4_000, messages: 16_000 };

export interface Person {
  sub: string;
  name: string;
  email: string;
  role: 'customer' | 'staff';
  accounts: string[];
  /** The address the person's requests come from (X-Forwarded-For; documentation and private ranges, loopback only). */
  address: string;
}

export interface PlannedConversation {
  /** Index in the plan; the server's id is known once it is written. */
  index: number;
  accountId: string;
  subject: string;
  body: string;
  /** Who opens it: a customer, or a staff member naming `recipients`. */
  author: string;
  recipients: string[];
  /** The customers taking part. */
  customers: string[];
}

export interface PlannedReply {
  conversation: number;
  author: string;
  action: 'reply' | 'send' | 'send_leave_open' | 'internal_note';
  body: string;
}

export interface Plan {
  params: TrafficParams;
  accounts: string[];
  customers: Person[];
  staff: Person[];
  conversations: PlannedConversation[];
  replies: PlannedReply[];
}

/** The 20 words every body draws from, and searches look for. */
export const VOCABULARY = [
  'permit',
  'invoice',
  'inspection',
  'payment',
  'renewal',
  'application',
  'deadline',
  'signature',
  'appointment',
  'contract',
  'balance',
  'receipt',
  'licence',
  'statement',
  'schedule',
  'document',
  'report',
  'meeting',
  'refund',
  'certificate',
] as const;

const SENTENCES = [
  'Thanks for getting back to me so quickly.',
  'Could you please have a look at this when you have a moment?',
  'I have attached nothing yet, but I can send it tomorrow morning.',
  'We spoke on the phone last week and you asked me to write here.',
  'Please let me know if anything else is missing from my side.',
  'I am not sure I filled in the second page correctly.',
  'Our office is closed on Friday, so Monday would suit us better.',
  'That works for us, thank you for your help.',
  'Is there anything I need to sign before the end of the month?',
  'We received it and will review it this week.',
  'Sorry for the delay, I was travelling.',
  'The numbers on the last page do not match what we expected.',
  'Can you confirm that you received my previous message?',
  'I will forward this to my accountant and come back to you.',
  'Everything looks fine on our side now.',
  'We need a little more time to gather the papers.',
];

const TEMPLATES: ((s: string, a: string, b: string) => string)[] = [
  (s, a) => `<p>Regarding the ${a}: ${s}</p>`,
  (s, a, b) => `<p>${s} I also have a question about the ${a} and the ${b}.</p>`,
  (s, a) => `<p>Could you check the ${a}? ${s}</p>`,
  (s, a, b) => `<p>Hello,</p><p>${s}</p><p>The ${a} is ready; the ${b} will follow.</p>`,
  (s, a) => `<p>${s} <strong>Note:</strong> the ${a} is due soon.</p>`,
];

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

export function checkParams(p: TrafficParams): string | null {
  for (const [name, value] of Object.entries(p)) {
    if (!Number.isInteger(value) || value < 1) return `--${name} must be a whole number of at least 1 (got ${value})`;
  }
  if (p.customers < p.accounts) return `--customers (${p.customers}) must be at least --accounts (${p.accounts}): every account has a customer`;
  if (p.staff < 2) return '--staff must be at least 2: every account has two staff members';
  if (p.conversations < p.accounts) return `--conversations (${p.conversations}) must be at least --accounts (${p.accounts})`;
  if (p.messages < p.conversations) return `--messages (${p.messages}) must be at least --conversations (${p.conversations}): each opens with one`;
  if (p.customers > 100_000 || p.staff > 10_000 || p.messages > 1_000_000) return 'at most 100,000 customers, 10,000 staff and 1,000,000 messages';
  return null;
}

/** A source of random numbers in [0, 1), the same sequence for the same seed. */
export function seeded(seed: number) {
  const random = mulberry32(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  /** A message body: an ordinary sentence around two different words of the vocabulary. */
  const body = () => {
    const a = pick(VOCABULARY);
    let b = pick(VOCABULARY);
    while (b === a) b = pick(VOCABULARY);
    return pick(TEMPLATES)(pick(SENTENCES), a, b);
  };
  return { random, pick, body };
}

/** The whole plan, the same for the same parameters. */
export function makePlan(params: TrafficParams, seed = 21): Plan {
  const { random, pick, body } = seeded(seed);
  const address = (n: number) => `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;

  const accounts = Array.from({ length: params.accounts }, (_, i) => `acct-${String(i).padStart(4, '0')}`);
  // Customers are spread over the accounts in turn; staff member s covers the accounts a with a % ⌈staff/2⌉ = s % ⌈staff/2⌉,
  // so each account has two staff members (when the number of staff is even).
  const half = Math.ceil(params.staff / 2);
  const customers: Person[] = Array.from({ length: params.customers }, (_, i) => ({
    sub: `cust-${String(i).padStart(5, '0')}`,
    name: `Customer ${i}`,
    email: `customer${i}@example.com`,
    role: 'customer',
    accounts: [accounts[i % params.accounts]!],
    address: address(i + 1),
  }));
  const staff: Person[] = Array.from({ length: params.staff }, (_, s) => ({
    sub: `staff-${String(s).padStart(3, '0')}`,
    name: `Staff ${s}`,
    email: `staff${s}@example.com`,
    role: 'staff',
    accounts: accounts.filter((_, a) => a % half === s % half),
    address: address(params.customers + s + 1),
  }));
  const customersOf = new Map<string, Person[]>(accounts.map((a) => [a, []]));
  for (const c of customers) customersOf.get(c.accounts[0]!)!.push(c);
  const staffOf = new Map<string, Person[]>(accounts.map((a) => [a, []]));
  for (const s of staff) for (const a of s.accounts) staffOf.get(a)!.push(s);

  const conversations: PlannedConversation[] = [];
  for (let i = 0; i < params.conversations; i++) {
    const accountId = accounts[i % params.accounts]!;
    const mine = customersOf.get(accountId)!;
    const turn = Math.floor(i / params.accounts);
    const subject = `Question about my ${pick(VOCABULARY)}`;
    if (random() < 0.75 || staffOf.get(accountId)!.length === 0) {
      const author = mine[turn % mine.length]!;
      conversations.push({ index: i, accountId, subject, body: body(), author: author.sub, recipients: [], customers: [author.sub] });
    } else {
      const author = pick(staffOf.get(accountId)!);
      const first = mine[turn % mine.length]!;
      const second = mine[(turn + 1) % mine.length]!;
      const recipients = random() < 0.3 && second !== first ? [first.sub, second.sub] : [first.sub];
      conversations.push({ index: i, accountId, subject, body: body(), author: author.sub, recipients, customers: recipients });
    }
  }

  const replies: PlannedReply[] = [];
  for (let r = 0; r < params.messages - params.conversations; r++) {
    const conversation = conversations[Math.floor(random() * conversations.length)]!;
    const staffHere = staffOf.get(conversation.accountId)!;
    if (random() < 0.5 || staffHere.length === 0) {
      replies.push({ conversation: conversation.index, author: pick(conversation.customers), action: 'reply', body: body() });
    } else {
      const x = random();
      const action = x < 0.7 ? 'reply' : x < 0.8 ? 'send' : x < 0.9 ? 'send_leave_open' : 'internal_note';
      replies.push({ conversation: conversation.index, author: pick(staffHere).sub, action, body: body() });
    }
  }
  return { params, accounts, customers, staff, conversations, replies };
}

/** What the runner needs after the data is written: the people and the server's conversation ids. */
export interface Written {
  params: TrafficParams;
  customers: Person[];
  staff: Person[];
  conversations: { id: string; accountId: string; customers: string[] }[];
  seconds: number;
}

export type Call = (who: Person, method: 'GET' | 'POST', path: string, body?: unknown) => Promise<{ status: number; json: any }>;

/** Runs `work` over the items, `concurrency` at a time. */
export async function inTurn<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

/**
 * Writes the plan through the API: every person signs in (`GET /me`, which records them and their accounts), then the
 * conversations are opened and the replies sent, `concurrency` requests at a time. Any answer but the expected one
 * stops it with the server's error.
 */
export async function writePlan(plan: Plan, call: Call, options: { concurrency?: number; log?: (line: string) => void } = {}): Promise<Written> {
  const started = Date.now();
  const concurrency = options.concurrency ?? 16;
  const people = new Map([...plan.customers, ...plan.staff].map((p) => [p.sub, p]));
  const expect = (what: string, status: number, want: number, json: any) => {
    if (status !== want) throw new Error(`${what} answered ${status} (expected ${want}): ${JSON.stringify(json).slice(0, 300)}`);
  };
  // Staff first: a customer's question goes to the account's staff, who must be known by then.
  await inTurn([...plan.staff, ...plan.customers], concurrency, async (p) => {
    const { status, json } = await call(p, 'GET', '/api/v1/me');
    expect(`GET /me as ${p.sub}`, status, 200, json);
  });
  const ids: string[] = new Array(plan.conversations.length);
  let done = 0;
  await inTurn(plan.conversations, concurrency, async (c) => {
    const author = people.get(c.author)!;
    const { status, json } = await call(author, 'POST', '/api/v1/conversations', {
      accountId: c.accountId,
      subject: c.subject,
      body: c.body,
      ...(c.recipients.length ? { recipientIds: c.recipients } : {}),
    });
    expect(`POST /conversations as ${author.sub}`, status, 201, json);
    ids[c.index] = json.conversation.id;
    if (++done % 1000 === 0) options.log?.(`  ${done.toLocaleString('en')} conversations`);
  });
  done = 0;
  await inTurn(plan.replies, concurrency, async (r) => {
    const author = people.get(r.author)!;
    const { status, json } = await call(author, 'POST', `/api/v1/conversations/${ids[r.conversation]}/messages`, {
      body: r.body,
      ...(r.action === 'reply' ? {} : { action: r.action }),
    });
    expect(`POST /conversations/:id/messages as ${author.sub}`, status, 201, json);
    if (++done % 4000 === 0) options.log?.(`  ${done.toLocaleString('en')} replies`);
  });
  return {
    params: plan.params,
    customers: plan.customers,
    staff: plan.staff,
    conversations: plan.conversations.map((c) => ({ id: ids[c.index]!, accountId: c.accountId, customers: c.customers })),
    seconds: (Date.now() - started) / 1000,
  };
}
