/**
 * Telling, from the text alone, that the sanitizer would return a body unchanged.
 *
 * Most messages are a few paragraphs with bold, italics or a list, typed in the widget's editor. For
 * those, DOMPurify on jsdom (parse into a document, walk it, serialize it) is the largest cost of a
 * send, and its output is the input. `unchangedBySanitizer` accepts only markup whose parse and
 * serialization are the identity, and answers false for everything else, which then goes through
 * DOMPurify as before. It is deliberately narrow:
 *
 * - elements of the allow-list without attributes (links always have one, so they never pass),
 *   written in lower case as the serializer writes them, `<br>` as a void element, no comments,
 *   doctypes or character references other than `&amp;` `&lt;` `&gt;` `&nbsp;`;
 * - properly nested, and placed where the HTML parser keeps them: paragraphs, lists, quotes and `pre`
 *   only at the top or inside a quote or a list item; list items only directly in a list, lists
 *   holding only items and white space; inside a paragraph, `pre` and the inline elements only inline
 *   elements and text. So no start tag ever closes an open element, and no end tag runs the adoption
 *   agency on anything but the element it closes;
 * - `pre` not starting with a line feed (the parser drops it); at most MAX_DEPTH levels deep;
 * - text without the characters the parser or serializer rewrite (`<` `>` `&` raw, no-break space,
 *   carriage return, other control characters, lone surrogates, the byte-order mark), and no white
 *   space at either end (the sanitizer trims it).
 *
 * test/unchanged-markup.test.ts compares the answer with DOMPurify's output on generated markup.
 */
const INLINE = new Set(['strong', 'b', 'em', 'i', 'u', 's', 'code']);
const BLOCK = new Set(['p', 'ul', 'ol', 'blockquote', 'pre']);
const LIST = new Set(['ul', 'ol']);
/** Where blocks may stand: the top level, a quote, a list item. */
const BLOCK_PARENTS = new Set(['', 'blockquote', 'li']);
const MAX_DEPTH = 32;

/** A tag, one of the four references, or a run of other characters. */
const TOKEN = /<\/([a-z]+)>|<([a-z]+)>|&(?:amp|lt|gt|nbsp);|[^<>&]+/y;
const UNSAFE_TEXT = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00a0\ufeff\ud800-\udfff]/u;
const WHITE_SPACE = /^[ \t\n]*$/;

/** True when sanitizing `html` with the rich-text allow-list would return `html` itself. */
export function unchangedBySanitizer(html: string): boolean {
  if (html !== html.trim() || UNSAFE_TEXT.test(html)) return false;
  const open: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < html.length) {
    const at = TOKEN.lastIndex;
    const token = TOKEN.exec(html);
    if (!token || token.index !== at) return false;
    const parent = open.length ? open[open.length - 1]! : '';
    const [whole, closing, opening] = token;
    if (closing !== undefined) {
      if (closing !== parent) return false;
      open.pop();
    } else if (opening !== undefined) {
      if (opening === 'br') {
        if (LIST.has(parent)) return false;
        continue;
      }
      if (INLINE.has(opening)) {
        if (LIST.has(parent)) return false;
      } else if (BLOCK.has(opening)) {
        if (!BLOCK_PARENTS.has(parent)) return false;
        if (opening === 'pre' && html[TOKEN.lastIndex] === '\n') return false;
      } else if (opening === 'li') {
        if (!LIST.has(parent)) return false;
      } else {
        return false;
      }
      if (open.push(opening) > MAX_DEPTH) return false;
    } else if (LIST.has(parent) && !WHITE_SPACE.test(whole)) {
      return false;
    }
  }
  return open.length === 0;
}
