/**
 * The direct match (search/match.ts) finds the words FTS5 finds, for every character it decides: each one alone
 * between letters, compared with what FTS5's own tokenizer made of it (fts5vocab), and whole messages and searches
 * compared with MATCH on the same rows.
 */
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { decided, foldTerms, matchesTerms, textWords } from '../src/search/match.js';
import { parseSearch } from '../src/search/terms.js';

const db = new Database(':memory:');
db.exec(`CREATE VIRTUAL TABLE t USING fts5(subject, body, tokenize = 'unicode61 remove_diacritics 2');
         CREATE VIRTUAL TABLE v USING fts5vocab(t, instance);`);
afterAll(() => db.close());

describe('the direct match of search terms', () => {
  it('cuts and folds every character it decides as FTS5 does', () => {
    const insert = db.prepare('INSERT INTO t (rowid, subject, body) VALUES (?, ?, ?)');
    const chars: number[] = [];
    for (let cp = 1; cp < 0x3000; cp++) if (decided(String.fromCodePoint(cp))) chars.push(cp);
    db.transaction(() => chars.forEach((cp) => insert.run(cp, '', `q${String.fromCodePoint(cp)}q`)))();
    const fts = new Map<number, string[]>();
    for (const r of db.prepare('SELECT doc, term FROM v ORDER BY doc, offset').all() as { doc: number; term: string }[])
      fts.set(r.doc, [...(fts.get(r.doc) ?? []), r.term]);
    const differ = chars.filter((cp) => (fts.get(cp) ?? []).join(' ') !== textWords(`q${String.fromCodePoint(cp)}q`).join(' '));
    expect(differ.map((cp) => cp.toString(16))).toEqual([]);
    expect(chars.length).toBeGreaterThan(700);
    db.exec('DELETE FROM t');
  });

  it('matches messages as MATCH does: phrases within one column, prefixes, every term', () => {
    const rows = [
      ['Invoice question', 'Der Café in München hat eine E-Mail geschickt.'],
      ['Order 12345', 'Refund requested for order 12345 — naïve façade, user@example.com.'],
      ['Crème brûlée', 'Ærø Straße Łódź œuvre; v2.0 at https://example.com/path.'],
      ['Mail', 'e mail em ail, e-mails'],
    ];
    const insert = db.prepare('INSERT INTO t (rowid, subject, body) VALUES (?, ?, ?)');
    rows.forEach(([subject, body], i) => insert.run(i + 1, subject, body));
    const searches = [
      'cafe',
      'CAFÉ',
      'mün%',
      'naive facade',
      'e-mail',
      'email',
      'mail',
      'e-mai%',
      'invoice cafe',
      'question-der',
      'order 12345',
      'ærø',
      'aero',
      'straße',
      'łódź',
      'creme brulee',
      'brûl%',
      'example com',
      'v2',
      'ord%',
      'mail question',
    ];
    for (const q of searches) {
      const terms = parseSearch(q)!;
      const match = terms.map((t) => `"${t.words.join(' ')}"${t.prefix ? ' *' : ''}`).join(' AND ');
      const expected = (db.prepare(`SELECT rowid FROM t WHERE t MATCH ? ORDER BY rowid`).all(`{subject body} : (${match})`) as { rowid: number }[]).map(
        (r) => r.rowid,
      );
      const folded = foldTerms(terms)!;
      const direct = rows.flatMap(([subject, body], i) => (matchesTerms(folded, subject!, body!) ? [i + 1] : []));
      expect(direct, q).toEqual(expected);
    }
  });

  it('leaves to the index what it does not decide', () => {
    expect(foldTerms(parseSearch('οδος')!)).toBeUndefined();
    expect(matchesTerms(foldTerms(parseSearch('cafe')!)!, 'Café', 'ΟΔΟΣ')).toBeUndefined();
    expect(matchesTerms(foldTerms(parseSearch('cafe')!)!, 'Café', 'µ')).toBeUndefined();
  });
});
