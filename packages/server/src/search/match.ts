/**
 * Matching search terms against a message's text without the index, as FTS5 matches them on SQLite
 * (`unicode61 remove_diacritics 2`, store/sqlite/search.ts): words are runs of letters and digits, folded
 * to lower case without diacritics; a term is a phrase of such words within the subject or within the
 * body, its last word a prefix when the term is one; a message matches when every term does.
 *
 * Only text made of the characters in DECIDED is matched here: there, this folding and FTS5's give the
 * same words, character by character (test/search-match.test.ts holds them equal against FTS5 itself).
 * For any other text, `matchesTerms` answers `undefined` and the caller asks the index instead.
 */
import type { SearchTerm } from './terms.js';

/**
 * Tabs, line breaks, Latin letters (Basic Latin to Latin Extended-B and the spacing modifiers, less the few that FTS5's
 * Unicode 6.1 tables fold otherwise: µ, ſ and eight letters whose decomposition holds another letter)
 * and general punctuation (dashes, quotes, spaces).
 */
const DECIDED = /^[\t\n\r\u0020-\u00b4\u00b6-\u017e\u0180-\u01df\u01e4-\u01ed\u01f0-\u01fb\u0200-\u02ff\u2000-\u2064]*$/u;

/** Most text is plain ASCII, which needs no decomposition. */
const ASCII = /^[\t\n\r\u0020-\u007e]*$/;

/** Whether this text's words are found here exactly as FTS5 finds them. */
export const decided = (text: string): boolean => ASCII.test(text) || DECIDED.test(text);

const fold = (word: string) =>
  ASCII.test(word)
    ? word.toLowerCase()
    : word
        .normalize('NFD')
        .replace(/\p{Mn}/gu, '')
        .toLowerCase();

/** The words of a text as FTS5 indexes them (for decided text). */
export function textWords(text: string): string[] {
  return (text.match(/[\p{L}\p{N}]+/gu) ?? []).map(fold);
}

/** Whether `words` hold the phrase `phrase` (its last word a prefix when `prefix`). */
function holdsPhrase(words: string[], phrase: string[], prefix: boolean): boolean {
  const last = phrase.length - 1;
  for (let i = 0; i + last < words.length; i++) {
    let all = true;
    for (let j = 0; j <= last && all; j++) {
      const word = words[i + j]!;
      all = j === last && prefix ? word.startsWith(phrase[j]!) : word === phrase[j];
    }
    if (all) return true;
  }
  return false;
}

/** The terms folded as FTS5 folds the words of a query, or undefined when a term is not decided here. */
export function foldTerms(terms: SearchTerm[]): SearchTerm[] | undefined {
  if (!terms.every((t) => t.words.every(decided))) return undefined;
  return terms.map((t) => ({ words: t.words.flatMap(textWords), prefix: t.prefix }));
}

/**
 * Whether one message (its conversation's `subject` and its visible `text`) matches every term of
 * `folded` (foldTerms), or undefined when its text is not decided here.
 */
export function matchesTerms(folded: SearchTerm[], subject: string, text: string): boolean | undefined {
  // A cheap look first: a message whose folded text does not even contain each word is no match.
  if (!decided(subject) || !decided(text)) return undefined;
  const haystack = fold(subject + '\n' + text);
  if (!folded.every((t) => t.words.every((w) => haystack.includes(w)))) return false;
  const inSubject = textWords(subject);
  const inBody = textWords(text);
  return folded.every((t) => t.words.length > 0 && (holdsPhrase(inSubject, t.words, t.prefix) || holdsPhrase(inBody, t.words, t.prefix)));
}
