/**
 * domain/visibility.ts decides who sees a conversation twice: in SQL for lists
 * (`conversationVisible`) and for one conversation already read (`loadVisibleConversation`). The two
 * must agree for every kind of viewer and every state of their participation.
 */
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { Identity } from '../src/auth/token.js';
import { ApiError } from '../src/errors.js';
import { transaction } from '../src/store/runtime.js';
import { conversationVisible, loadVisibleConversation } from '../src/domain/visibility.js';
import { makeTestApp, people, signInAll, startConversation } from './helpers.js';
import { execute, firstRow } from '../src/store/sql.js';

const viewers: Identity[] = [
  { id: 'root', name: 'Admin', email: null, role: 'admin', accounts: '*' },
  { id: 'sam', name: 'Staff of both', email: null, role: 'staff', accounts: ['acme', 'globex'] },
  { id: 'gina', name: 'Staff of globex', email: null, role: 'staff', accounts: ['globex'] },
  { id: 'gina', name: 'The same, no accounts', email: null, role: 'staff', accounts: [] },
  { id: 'gina', name: 'Staff claiming every account', email: null, role: 'staff', accounts: '*' },
  { id: 'alice', name: 'Customer of acme', email: null, role: 'customer', accounts: ['acme'] },
  { id: 'alice', name: 'The same, token without acme', email: null, role: 'customer', accounts: ['globex'] },
  { id: 'alice', name: 'The same, every account', email: null, role: 'customer', accounts: '*' },
  { id: 'adam', name: 'Co-owner of acme', email: null, role: 'customer', accounts: ['acme'] },
  { id: 'bob', name: 'Customer of globex', email: null, role: 'customer', accounts: ['globex'] },
];

describe('conversation visibility', () => {
  it('is the same for one conversation as in lists, for every viewer and participation', async () => {
    const t = makeTestApp();
    await signInAll(t);
    const conversation = (await startConversation(t, people.alice)).id;
    // Participation states of each viewer's row: none, participant, left, not a participant.
    const states = [null, { participant: 1, left: 0 }, { participant: 0, left: 1 }, { participant: 0, left: 0 }] as const;
    let checked = 0;
    for (const state of states) {
      for (const viewer of viewers) {
        // Through the database's transactions, behind the refusals' audit rows written there.
        await transaction(t.db, async (tx) => {
          await execute(tx, sql`DELETE FROM conversation_users WHERE conversation_id = ${conversation} AND user_id = ${viewer.id}`);
          if (state)
            await execute(
              tx,
              sql`INSERT INTO conversation_users (conversation_id, user_id, participant, has_left)
                  VALUES (${conversation}, ${viewer.id}, ${state.participant ? sql`TRUE` : sql`FALSE`}, ${state.left ? sql`TRUE` : sql`FALSE`})`,
            );
        });
        const listed =
          (await firstRow<{ n: number }>(
            t.db,
            sql`
          SELECT count(*) AS n FROM conversations c
          LEFT JOIN conversation_users cu ON cu.conversation_id = c.id AND cu.user_id = ${viewer.id}
          WHERE c.id = ${conversation} AND ${conversationVisible(viewer)}`,
          ))!.n === 1;
        let opened: boolean;
        try {
          opened = (await loadVisibleConversation(t.db, viewer, conversation)).id === conversation;
        } catch (error) {
          expect(error).toBeInstanceOf(ApiError);
          expect((error as ApiError).status).toBe(404);
          opened = false;
        }
        expect({ viewer: viewer.name, state, opened }).toEqual({ viewer: viewer.name, state, opened: listed });
        checked++;
      }
    }
    expect(checked).toBe(states.length * viewers.length);
  });

  it('lets each kind of viewer see what the rules say', async () => {
    const t = makeTestApp();
    await signInAll(t);
    const conversation = (await startConversation(t, people.alice)).id;
    const sees = async (viewer: Identity) => {
      try {
        return (await loadVisibleConversation(t.db, viewer, conversation)).id === conversation;
      } catch {
        return false;
      }
    };
    const seeing = [];
    for (const viewer of viewers) if (await sees(viewer)) seeing.push(viewer.name);
    expect(seeing).toEqual(['Admin', 'Staff of both', 'Customer of acme']);
  });
});
