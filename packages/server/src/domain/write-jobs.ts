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
    createConversation: async (viewer: Viewer, input: CreateConversationBody, body: RichTextBody) => {
      // The job writes the conversation and starts reading it back (getConversation is async). A group's jobs
      // return plain values, so the read is handed over in an object; it runs once the group has ended. Should
      // the group roll back, the caller gets the group's error and the read's failure is nobody's to hear.
      const { read } = await groupWrite(db, () => {
        const started = createConversation(db, viewer, input, body, effects);
        started.catch(() => undefined);
        return { read: started };
      });
      return read;
    },
    postMessage: (viewer: Viewer, conversationId: string, input: PostMessageBody, body: RichTextBody) =>
      groupWrite(db, () => postMessage(db, viewer, conversationId, input, body, effects)),
    writeUser: (identity: Identity) => groupWrite(db, () => writeUser(db, identity)),
    claimNotices: (leader: Leader, nowMs: number, leaseMs: number, batchSeconds: number) =>
      groupWrite(db, () => claimNotices(db, leader, nowMs, leaseMs, batchSeconds)),
    finishNotices: (ids: number[], status: 'sent' | 'failed', error: string | null, atIso: string) =>
      groupWrite(db, () => finishNotices(db, ids, status, error, atIso)),
    postponeNotices: (ids: number[], nextAttemptIso: string, error: string) => groupWrite(db, () => postponeNotices(db, ids, nextAttemptIso, error)),
  };
}

/** Runs `jobs` by name on this thread. */
export function runHere(jobs: WriteJobs): JobRunner {
  return (job, ...args) => (jobs[job] as (...a: unknown[]) => ReturnType<WriteJobs[typeof job]>)(...args);
}
