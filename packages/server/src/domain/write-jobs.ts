/**
 * The writes of domain/writes.ts with their bodies prepared, each run in the next group commit on
 * `db` (store/sqlite/group-commit.ts). Imports nothing that loads the sanitizer: the writer thread runs these.
 */
import type { CreateConversationBody, PostMessageBody } from '@secure-inbox/protocol';
import type { Identity } from '../auth/token.js';
import type { Db } from '../store/sqlite/client.js';
import { groupWrite } from '../store/sqlite/group-commit.js';
import { claimNotices, finishNotices, postponeNotices, type Leader } from '../notify/notice-writes.js';
import { createConversation } from './conversations.js';
import { postMessage, type MessageEffects } from './messages.js';
import type { RichTextBody } from './text.js';
import { writeUser } from './users.js';
import type { Viewer } from './visibility.js';

export type WriteJobs = ReturnType<typeof writeJobs>;
export type JobName = keyof WriteJobs;
/** Runs a write job by name, here or elsewhere (the writer thread); settles after its commit. */
export type JobRunner = <K extends JobName>(job: K, ...args: Parameters<WriteJobs[K]>) => ReturnType<WriteJobs[K]>;

export function writeJobs(db: Db, effects: MessageEffects) {
  return {
    createConversation: (viewer: Viewer, input: CreateConversationBody, body: RichTextBody) =>
      groupWrite(db, (tx) => createConversation(tx, viewer, input, body, effects)),
    postMessage: (viewer: Viewer, conversationId: string, input: PostMessageBody, body: RichTextBody) =>
      groupWrite(db, (tx) => postMessage(tx, viewer, conversationId, input, body, effects)),
    writeUser: (identity: Identity) => groupWrite(db, (tx) => writeUser(tx, identity)),
    claimNotices: (leader: Leader, nowMs: number, leaseMs: number, batchSeconds: number) =>
      groupWrite(db, (tx) => claimNotices(tx, leader, nowMs, leaseMs, batchSeconds)),
    finishNotices: (ids: number[], status: 'sent' | 'failed', error: string | null, atIso: string) =>
      groupWrite(db, (tx) => finishNotices(tx, ids, status, error, atIso)),
    postponeNotices: (ids: number[], nextAttemptIso: string, error: string) => groupWrite(db, (tx) => postponeNotices(tx, ids, nextAttemptIso, error)),
  };
}

/** Runs `jobs` by name on this thread. */
export function runHere(jobs: WriteJobs): JobRunner {
  return (job, ...args) => (jobs[job] as (...a: unknown[]) => ReturnType<WriteJobs[typeof job]>)(...args);
}
