/**
 * The writes of the busy path: new conversations and messages (sends), the user rows a sign-in
 * brings up to date, and the e-mail delivery worker's claims and outcomes. They are committed in
 * groups (store/sqlite/group-commit.ts) and settle after the commit, on this thread (`writesInProcess`: tests,
 * an in-memory database) or on the writer thread (store/sqlite/writer-thread.ts: the server on a database file).
 *
 * A body is sanitized before its send is handed over (`prepareRichText`), on the thread that took the
 * request; what writes it (domain/write-jobs.ts) takes it prepared and never loads the sanitizer.
 */
import type { Conversation, CreateConversationBody, Message, PostMessageBody } from '@secure-inbox/protocol';
import type { Identity } from '../auth/token.js';
import type { Db } from '../store/sqlite/client.js';
import type { NoticeWrites } from '../notify/notice-writes.js';
import type { MessageEffects } from './messages.js';
import { prepareRichText } from './rich-text.js';
import type { Viewer } from './visibility.js';
import { runHere, writeJobs, type JobRunner } from './write-jobs.js';

export interface Writes {
  createConversation(viewer: Viewer, body: CreateConversationBody): Promise<Conversation>;
  postMessage(viewer: Viewer, conversationId: string, body: PostMessageBody): Promise<Message>;
  /** Upserts the user and their memberships from a token's claims (domain/users.ts); true when others may see a change. */
  writeUser(identity: Identity): Promise<boolean>;
  /** The e-mail delivery worker's claims and outcomes (notify/notice-writes.ts). */
  notices: NoticeWrites;
}

/** The writes, each prepared here and run as a job by `run`. */
export function writesThrough(run: JobRunner): Writes {
  return {
    createConversation: (viewer, body) => run('createConversation', viewer, body, prepareRichText(body.body)),
    postMessage: (viewer, conversationId, body) => run('postMessage', viewer, conversationId, body, prepareRichText(body.body)),
    writeUser: (identity) => run('writeUser', identity),
    notices: {
      claim: (...args) => run('claimNotices', ...args),
      finish: (...args) => run('finishNotices', ...args),
      postpone: (...args) => run('postponeNotices', ...args),
    },
  };
}

/** The writes, through `db` on this thread. */
export function writesInProcess(db: Db, effects: MessageEffects): Writes {
  return writesThrough(runHere(writeJobs(db, effects)));
}
