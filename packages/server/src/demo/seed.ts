/**
 * The demo data set: a building permit, an accounting client and a law matter, with customers, staff
 * and an admin, and conversations in every status.
 *
 * Everything a user could do is done through the domain functions, with inputs validated by the
 * protocol schemas, so the seed obeys the same rules as the API (visibility, DoNotReply, statuses,
 * unread state). Only what the API does not create — account names and topics — is inserted directly.
 * The history is played in chronological order and then dated back over the past days, so lists,
 * previews and "last updated" look like a portal that has been in use for a while.
 */
import {
  CreateConversationBody,
  PatchConversationBody,
  PostMessageBody,
  type CreateConversationBody as CreateInput,
  type PatchConversationBody as PatchInput,
  type PostMessageBody as PostInput,
} from '@secure-inbox/protocol';
import { sql } from 'drizzle-orm';
import type { Db } from '../store/sqlite/client.js';
import { transaction } from '../store/runtime.js';
import { execute, firstRow } from '../store/sql.js';
import { applyPatch, applyStateChange, createConversation, type StateChange } from '../domain/conversations.js';
import { noEffects, postMessage } from '../domain/messages.js';
import { writeUser } from '../domain/users.js';
import { demoAccounts, demoUserList, demoUsers, type DemoUser } from './users.js';
import { prepareRichText } from '../domain/rich-text.js';

const { maria, tom, priya, grace, dan, ines, sarah, liam, jo, ada } = demoUsers;
const { permit, bakery, matter } = demoAccounts;

/** Topics with an account are offered in that account's compose form only; the others in every account's. */
export const demoTopics: { id: string; name: string; description: string; defaultAssigneeId: string | null; accountId: string | null }[] = [
  {
    id: 'plan-review',
    name: 'Plans and permit review',
    description: 'Questions about plan review comments, revisions and permit conditions.',
    defaultAssigneeId: dan.id,
    accountId: permit.id,
  },
  {
    id: 'inspections',
    name: 'Inspections',
    description: 'Booking, rescheduling or preparing for a site inspection.',
    defaultAssigneeId: ines.id,
    accountId: permit.id,
  },
  {
    id: 'tax-payroll',
    name: 'Tax, VAT and payroll',
    description: 'Returns, deadlines, payroll runs and what we need from you.',
    defaultAssigneeId: sarah.id,
    accountId: bakery.id,
  },
  { id: 'documents', name: 'Documents and signatures', description: 'Sending, finding or signing documents.', defaultAssigneeId: null, accountId: null },
  {
    id: 'legal-matter',
    name: 'My legal matter',
    description: 'Anything about your case: next steps, hearings, offers.',
    defaultAssigneeId: liam.id,
    accountId: matter.id,
  },
  {
    id: 'portal-help',
    name: 'Help with this portal',
    description: 'Trouble signing in, downloading or uploading? Our support team answers.',
    defaultAssigneeId: jo.id,
    accountId: null,
  },
];

const permitContext = {
  kind: 'permit',
  ref: 'BP-2026-0142',
  title: 'Building permit BP-2026-0142 — rear addition, 12 Elm Street',
  url: 'https://permits.example.gov/records/BP-2026-0142',
};
const engagementContext = {
  kind: 'engagement',
  ref: 'ENG-2026-017',
  title: '2026 bookkeeping, VAT and payroll — Hartley & Sons Bakery',
  url: 'https://clients.chenpatel.example/engagements/ENG-2026-017',
};
const matterContext = {
  kind: 'matter',
  ref: '2291',
  title: 'Okafor v. Brightwater Properties — lease dispute',
  url: 'https://portal.mercerbyrne.example/matters/2291',
};

/** Minutes before the moment of seeding. */
const ago = (days: number, hours = 0, minutes = 0) => (days * 24 + hours) * 60 + minutes;

type Step = { at: number; by: DemoUser; post: PostInput } | { at: number; by: DemoUser; patch: PatchInput } | { at: number; by: DemoUser; state: StateChange };

interface Thread {
  key: string;
  at: number;
  by: DemoUser;
  start: CreateInput;
  steps: Step[];
}

const threads: Thread[] = [
  {
    key: 'permit-setback',
    at: ago(6, 5, 12),
    by: maria,
    start: {
      accountId: permit.id,
      topicId: 'plan-review',
      subject: 'Revised site plan for the rear setback',
      context: permitContext,
      body: '<p>Hello Mr Reyes,</p><p>Thank you for the plan review comments. Our architect has revised sheet <strong>A-101</strong> so the addition now sits 5 ft 2 in from the rear property line, as comment 3 asked.</p><p>Should I upload the revised sheet here, or in the Documents tab of the permit?</p><p>Kind regards,<br>Maria López</p>',
    },
    steps: [
      { at: ago(6, 3, 40), by: dan, state: 'read' },
      {
        at: ago(6, 3, 31),
        by: dan,
        post: {
          action: 'internal_note',
          body: "<p>Checked A-101 rev 2 against R-2 zoning: rear setback 5'2\" (min 5'). Lot coverage 38 %, under the 40 % limit. OK to approve once the sheet is in the record.</p>",
        },
      },
      {
        at: ago(6, 3, 20),
        by: dan,
        post: {
          action: 'send',
          body: "<p>Hello Ms López,</p><p>Thanks — the revision resolves comment 3. Please upload the revised sheet in the permit's <strong>Documents</strong> tab as a PDF named <em>A-101 rev 2</em>; I will pick it up from there and finish the review.</p><p>Dan Reyes, Plan Reviewer</p>",
          tip: 'Revised sheets are reviewed faster when the changed area is clouded and the revision is listed in the title block.',
        },
      },
      { at: ago(5, 22, 5), by: maria, state: 'read' },
      { at: ago(5, 21, 58), by: maria, post: { body: '<p>Uploaded this morning as "A-101 rev 2". Thank you for the quick answer!</p>' } },
      { at: ago(5, 4, 10), by: dan, state: 'read' },
      {
        at: ago(5, 4, 2),
        by: dan,
        post: {
          action: 'status_update',
          body: '<p><strong>Plan review approved.</strong> Permit BP-2026-0142 can be issued as soon as the permit fee of $1,284.00 is paid. Next step: framing inspection.</p>',
        },
      },
      {
        at: ago(5, 4, 0),
        by: dan,
        post: { action: 'resolve', body: '<p>A-101 rev 2 accepted into the record; plan review closed. Handing over to inspections.</p>' },
      },
      { at: ago(5, 1, 30), by: maria, state: 'read' },
      { at: ago(4, 2), by: jo, state: 'read' },
      { at: ago(4, 1), by: ada, state: 'read' },
    ],
  },
  {
    key: 'permit-handover',
    at: ago(4, 23, 15),
    by: dan,
    start: {
      accountId: permit.id,
      subject: 'Handover: BP-2026-0142 ready for framing inspection',
      recipientIds: [ines.id],
      context: permitContext,
      body: '<p>Hi Ines,</p><p>Plan review for 12 Elm Street is closed. Heads-up before the framing inspection: in rev 2 the rear opening was widened to 9 ft, and the header is now a 3-ply 1¾" × 11⅞" LVL per sheet S-201. Worth a close look at the bearing points.</p><p>The owner is responsive; she prefers morning visits.</p><p>Dan</p>',
    },
    steps: [
      { at: ago(4, 6), by: ines, state: 'read' },
      {
        at: ago(4, 5, 48),
        by: ines,
        post: {
          body: "<p>Thanks Dan, noted. I have booked the framing inspection for Thursday morning and will let the owner know. I'll check the LVL bearing and the hold-downs at the corners.</p>",
        },
      },
      { at: ago(4, 5, 45), by: ines, patch: { status: 'answered' } },
    ],
  },
  {
    key: 'permit-inspection',
    at: ago(2, 2, 30),
    by: ines,
    start: {
      accountId: permit.id,
      topicId: 'inspections',
      subject: 'Framing inspection on Thursday — access to the site',
      recipientIds: [maria.id],
      context: permitContext,
      body: '<p>Dear Ms López,</p><p>Your <strong>framing inspection</strong> for permit BP-2026-0142 is scheduled for <strong>Thursday between 8 and 11 am</strong>.</p><ul><li>Please leave the side gate unlocked.</li><li>Keep the approved, stamped plan set on site.</li><li>Sheathing nails and hold-downs must still be visible.</li></ul><p>Could you confirm that someone will be there to let me in?</p><p>Ines Kowalski, Building Inspector</p>',
    },
    steps: [
      {
        at: ago(2, 2, 25),
        by: ines,
        post: {
          action: 'send_leave_open',
          body: '<p>If Thursday does not suit you, reply here with two other mornings this week and I will rebook.</p>',
          tip: 'The inspector needs the stamped paper plan set, not copies on a phone or tablet.',
        },
      },
      { at: ago(2, 2, 20), by: ines, patch: { status: 'attentive' } },
    ],
  },
  {
    key: 'bakery-yearend',
    at: ago(9, 4),
    by: sarah,
    start: {
      accountId: bakery.id,
      topicId: 'documents',
      subject: '2025 year-end: documents received',
      recipientIds: [tom.id],
      context: engagementContext,
      body: '<p>Hi Tom,</p><p>We now have everything we need for the 2025 year-end accounts: bank statements, the stock count and the van lease agreement. Nothing more is needed from you.</p><p>Sarah</p>',
    },
    steps: [
      { at: ago(9, 1), by: tom, state: 'read' },
      { at: ago(9, 0, 50), by: tom, post: { body: '<p>Great, thanks Sarah!</p>' } },
      { at: ago(8, 20), by: sarah, state: 'read' },
      { at: ago(8, 19, 55), by: sarah, patch: { status: 'resolved' } },
      { at: ago(8, 2), by: tom, state: 'trash' },
      { at: ago(7, 3), by: jo, state: 'read' },
      { at: ago(7, 2), by: ada, state: 'read' },
    ],
  },
  {
    key: 'bakery-vat',
    at: ago(5, 6, 40),
    by: sarah,
    start: {
      accountId: bakery.id,
      topicId: 'tax-payroll',
      subject: 'Q3 VAT return — two supplier invoices missing',
      recipientIds: [tom.id, priya.id],
      context: engagementContext,
      body: '<p>Hi Tom, hi Priya,</p><p>To file the Q3 VAT return before the <strong>7 November</strong> deadline we still need two invoices from <em>Millbrook Flour Ltd</em>:</p><ul><li>July — £2,106.40 in the bank feed</li><li>August — £2,212.20 in the bank feed</li></ul><p>Could you upload them here, or ask Millbrook to resend them?</p><p>Sarah Chen</p>',
    },
    steps: [
      { at: ago(5, 3), by: priya, state: 'read' },
      {
        at: ago(5, 2, 47),
        by: priya,
        post: {
          body: "<p>Hi Sarah, July's invoice is in the shared folder under <em>Suppliers/Millbrook</em>. August's never arrived — I've asked Millbrook to resend it and will forward it as soon as it comes in.</p>",
        },
      },
      { at: ago(4, 23, 10), by: sarah, state: 'read' },
      {
        at: ago(4, 23, 2),
        by: sarah,
        post: {
          action: 'internal_note',
          body: "<p>If Millbrook's August invoice isn't in by Friday, file on the bank statement and correct in the Q4 return. Agreed with Ada; the amount is under the correction threshold.</p>",
        },
      },
      {
        at: ago(4, 22, 40),
        by: sarah,
        post: {
          action: 'send',
          body: "<p>Thanks Priya, July's invoice is exactly what we needed. We'll file on time either way: if August's doesn't arrive by Friday we'll use the bank statement and correct it in Q4. Nothing else is needed from you for Q3.</p>",
          tip: 'You can forward supplier invoices straight to your bookkeeping inbox, hartley@docs.chenpatel.example, and they will appear in your records within the hour.',
        },
      },
      { at: ago(4, 20), by: priya, state: 'read' },
      { at: ago(4, 3, 12), by: tom, state: 'read' },
      { at: ago(4, 3, 11), by: tom, state: 'unread' },
      { at: ago(3, 2), by: jo, state: 'read' },
    ],
  },
  {
    key: 'matter-response',
    at: ago(3, 7, 15),
    by: liam,
    start: {
      accountId: matter.id,
      topicId: 'legal-matter',
      subject: "Landlord's response to our notice",
      recipientIds: [grace.id],
      context: matterContext,
      body: "<p>Dear Ms Okafor,</p><p>Brightwater Properties' solicitors replied to our notice yesterday. They accept that the boiler was out of service for 23 days in January, but they dispute the rent reduction we asked for.</p><p>Helen Mercer would like to discuss a counter-proposal with you. Do you still have the photos of the broken boiler and your messages to the building manager?</p><p>Liam Byrne, Paralegal</p>",
    },
    steps: [
      {
        at: ago(3, 7, 10),
        by: liam,
        post: {
          action: 'status_update',
          body: "<p><strong>Matter update:</strong> the landlord's response has been received. We are preparing a counter-proposal and will call you to go through it.</p>",
        },
      },
      { at: ago(3, 1, 40), by: grace, state: 'read' },
      {
        at: ago(3, 1, 32),
        by: grace,
        post: {
          body: '<p>Thank you. Yes — I have the photos from January with the dates on them, and the texts to the building manager. Any afternoon after 2 pm works for a call.</p>',
        },
      },
      { at: ago(2, 22), by: liam, state: 'read' },
      {
        at: ago(2, 21, 54),
        by: liam,
        post: {
          action: 'internal_note',
          body: '<p>Client has dated photos and texts: strong evidence of notice. HM suggests a 40 % abatement for January as the opening position.</p>',
        },
      },
      {
        at: ago(2, 21, 40),
        by: liam,
        post: {
          body: '<p>That is very helpful. Please upload the photos and a screenshot of the texts here; Helen will call you on <strong>Thursday at 2:30 pm</strong> to go through the counter-proposal.</p>',
          tip: 'To upload photos from your phone, open this conversation on the phone and use the paper-clip button below the reply box.',
        },
      },
      { at: ago(2, 21, 38), by: liam, patch: { status: 'attentive' } },
    ],
  },
  {
    key: 'bakery-download',
    at: ago(1, 6, 5),
    by: priya,
    start: {
      accountId: bakery.id,
      topicId: 'portal-help',
      subject: "I can't download the engagement letter",
      body: '<p>Hello, when I click the engagement letter PDF in the Documents section nothing happens. I tried twice this morning. Is the file broken?</p>',
    },
    steps: [
      { at: ago(1, 5, 20), by: jo, state: 'read' },
      {
        at: ago(1, 5, 14),
        by: jo,
        post: {
          action: 'send_leave_open',
          body: '<p>Sorry about that, Priya! Documents open in a new tab, and your browser is probably blocking pop-ups for the portal. Could you allow pop-ups for this site and try again?</p>',
          tip: 'In Chrome or Edge, click the blocked pop-up icon at the right of the address bar and choose "Always allow pop-ups from this site".',
        },
      },
      { at: ago(1, 4, 30), by: priya, state: 'read' },
      { at: ago(1, 4, 26), by: priya, post: { body: '<p>That was it — I have the letter now. Thanks!</p>' } },
      { at: ago(1, 3, 50), by: jo, state: 'read' },
      {
        at: ago(1, 3, 48),
        by: jo,
        post: { action: 'resolve', body: '<p>Pop-up blocker. Third case this month: worth a line in the Documents help text.</p>' },
      },
    ],
  },
  {
    key: 'bakery-payroll',
    at: ago(0, 4, 20),
    by: tom,
    start: {
      accountId: bakery.id,
      topicId: 'tax-payroll',
      subject: 'Can we switch payroll to every two weeks?',
      context: engagementContext,
      body: '<p>Hi Sarah,</p><p>We are taking on two weekend bakers from the start of December. They would rather be paid every two weeks. Can we run payroll fortnightly instead of monthly, and does that change anything for our PAYE filings or your fee?</p><p>Tom</p>',
    },
    steps: [],
  },
  {
    key: 'matter-offer',
    at: ago(0, 0, 40),
    by: grace,
    start: {
      accountId: matter.id,
      topicId: 'legal-matter',
      subject: 'Question about the settlement offer letter',
      context: matterContext,
      body: "<p>Hello, I received a letter from Brightwater directly, offering one month's rent back if I sign by Friday. Should I reply to them, or leave it to you?</p>",
    },
    steps: [],
  },
];

export interface SeedResult {
  seeded: boolean;
  conversations: number;
}

/** True when the database already holds data: the demo never seeds over it. */
async function hasData(db: Db): Promise<boolean> {
  return Boolean((await firstRow(db, sql`SELECT 1 AS one FROM users LIMIT 1`)) ?? (await firstRow(db, sql`SELECT 1 AS one FROM conversations LIMIT 1`)));
}

/**
 * Seeds the demo data set once. A database that already holds data (a second start) is left as it
 * is. The whole seed is one transaction: an interrupted first start leaves an empty database.
 */
export async function seedDemo(db: Db, now = Date.now()): Promise<SeedResult> {
  if (await hasData(db)) return { seeded: false, conversations: 0 };
  return transaction(db, async (tx) => {
    if (await hasData(tx)) return { seeded: false, conversations: 0 };
    for (const user of demoUserList) await writeUser(tx, user);
    for (const account of Object.values(demoAccounts)) {
      await execute(tx, sql`INSERT INTO accounts (id, name) VALUES (${account.id}, ${account.name}) ON CONFLICT (id) DO UPDATE SET name = ${account.name}`);
    }
    for (const [position, t] of demoTopics.entries()) {
      await execute(
        tx,
        sql`INSERT INTO topics (id, name, description, default_assignee_id, position, account_id)
            VALUES (${t.id}, ${t.name}, ${t.description}, ${t.defaultAssigneeId}, ${position}, ${t.accountId})`,
      );
    }
    await playHistory(tx, now);
    return { seeded: true, conversations: threads.length };
  });
}

async function playHistory(db: Db, now: number) {
  type Event = { at: number; thread: Thread; step?: Step; order: number };
  const events: Event[] = [];
  for (const thread of threads) {
    let previous = thread.at;
    events.push({ at: thread.at, thread, order: events.length });
    for (const step of thread.steps) {
      if (step.at > previous) throw new Error(`demo seed: a step of "${thread.key}" is dated before the one it follows`);
      previous = step.at;
      events.push({ at: step.at, thread, step, order: events.length });
    }
  }
  // Oldest first, so message order (seq) and dates agree across conversations.
  events.sort((a, b) => b.at - a.at || a.order - b.order);

  const ids = new Map<string, string>();
  const messageTimes = new Map<string, number>();
  const times = new Map<string, { created: number; updated: number; publicUpdated: number }>();

  for (const { at, thread, step } of events) {
    if (!step) {
      const start = CreateConversationBody.parse(thread.start);
      const conversation = await createConversation(db, thread.by, start, prepareRichText(start.body), noEffects);
      ids.set(thread.key, conversation.id);
      const first = (await firstRow<{ id: string }>(
        db,
        sql`SELECT m.id FROM messages m JOIN conversations c ON c.first_seq = m.seq WHERE c.id = ${conversation.id}`,
      ))!;
      messageTimes.set(first.id, at);
      times.set(conversation.id, { created: at, updated: at, publicUpdated: at });
      continue;
    }
    const id = ids.get(thread.key)!;
    const dates = times.get(id)!;
    if ('post' in step) {
      const post = PostMessageBody.parse(step.post);
      const message = await postMessage(db, step.by, id, post, prepareRichText(post.body), noEffects);
      messageTimes.set(message.id, at);
      dates.updated = at;
      // A status change is visible to customers even when the note that caused it is not.
      if (!message.doNotReply || step.post.action === 'resolve') dates.publicUpdated = at;
    } else if ('patch' in step) {
      await applyPatch(db, step.by, id, PatchConversationBody.parse(step.patch));
      dates.updated = at;
      dates.publicUpdated = at;
    } else {
      await applyStateChange(db, step.by, id, step.state);
    }
  }

  const iso = (minutesAgo: number) => new Date(now - minutesAgo * 60_000).toISOString();
  for (const [messageId, at] of messageTimes) await execute(db, sql`UPDATE messages SET created_at = ${iso(at)} WHERE id = ${messageId}`);
  for (const [conversationId, t] of times) {
    await execute(
      db,
      sql`UPDATE conversations SET created_at = ${iso(t.created)}, updated_at = ${iso(t.updated)}, public_updated_at = ${iso(t.publicUpdated)}
               WHERE id = ${conversationId}`,
    );
  }
}

/** The seeded conversations by key, for tests and the start-up summary. */
export const demoThreadKeys = threads.map((t) => t.key);
