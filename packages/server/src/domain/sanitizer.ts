/**
 * The server's one DOMPurify, on one jsdom window, parsing into one reused document.
 *
 * isomorphic-dompurify hands DOMPurify a jsdom window, and DOMPurify parses every input with
 * `new DOMParser().parseFromString(…)`. In jsdom that builds a whole new Document per call (~1 ms,
 * a location, a history, a cookie jar, a selector engine with its caches), and the selector engine
 * of each new document registers event listeners on the shared window that are never removed: the
 * window's listener lists grow with every message ever sanitized, and each new document pays a scan
 * of them (sends slowed from ~10 ms to ~60 ms per body within a few thousand messages, and the memory
 * was never given back).
 *
 * Here DOMPurify gets the same window, but with a DOMParser whose `text/html` documents are one
 * document, emptied and parsed into again with jsdom's own document parser (the very function
 * `DOMParser.parseFromString` runs on its fresh document). The tree DOMPurify walks is the one a
 * fresh document would hold, so its output is the same; test/sanitizer.test.ts compares the two on
 * the XSS vectors and on random markup. Sanitizing is synchronous and nothing in it sanitizes again,
 * so one document is never in use twice at once.
 *
 * jsdom and DOMPurify are the ones isomorphic-dompurify depends on (same versions as before). When
 * jsdom's internals are not where this expects them, the parser falls back to a fresh document per
 * call: slower, never different (`reusesDocument` says which; a test keeps it true).
 */
import { createRequire } from 'node:module';
import type { DOMPurify as Purifier } from 'isomorphic-dompurify';

interface JsdomWindow {
  DOMParser: new () => { parseFromString(markup: string, type: string): JsdomDocument };
  [key: string]: unknown;
}
interface JsdomDocument {
  firstChild: unknown;
  removeChild(child: unknown): unknown;
}

const requireFromServer = createRequire(import.meta.url);
const requireFromPurify = createRequire(requireFromServer.resolve('isomorphic-dompurify'));
const { JSDOM } = requireFromPurify('jsdom') as { JSDOM: new (html: string) => { window: JsdomWindow } };
const createDOMPurify = requireFromPurify('dompurify') as (window: unknown) => Purifier;

const { window } = new JSDOM('<!DOCTYPE html>');

type ParseIntoDocument = (markup: string, documentImpl: unknown) => void;
type ImplForWrapper = (wrapper: unknown) => unknown;

function jsdomInternals(): { parseIntoDocument: ParseIntoDocument; implForWrapper: ImplForWrapper } | null {
  try {
    const jsdomDir = requireFromPurify.resolve('jsdom').replace(/lib[\\/]api\.js$/, '');
    const requireFromJsdom = createRequire(jsdomDir + 'package.json');
    const { parseIntoDocument } = requireFromJsdom('./lib/jsdom/browser/parser/index.js') as { parseIntoDocument?: ParseIntoDocument };
    const { implForWrapper } = requireFromJsdom('./lib/generated/idl/utils.js') as { implForWrapper?: ImplForWrapper };
    if (typeof parseIntoDocument !== 'function' || typeof implForWrapper !== 'function') return null;
    return { parseIntoDocument, implForWrapper };
  } catch {
    return null;
  }
}

const internals = jsdomInternals();
const FreshParser = window.DOMParser;
let reused: { document: JsdomDocument; impl: unknown } | null = null;
if (internals) {
  const document = new FreshParser().parseFromString('', 'text/html');
  const impl = internals.implForWrapper(document);
  reused = impl ? { document, impl } : null;
}

/** A DOMParser whose HTML documents are one document, parsed into afresh on every call. */
class ReusingDOMParser {
  parseFromString(markup: string, type: string): JsdomDocument {
    if (!reused || !internals || type !== 'text/html') return new FreshParser().parseFromString(markup, type);
    const { document, impl } = reused;
    // The node iterator of the previous call has finished its walk. A new document has none, and
    // jsdom visits every iterator it still holds (weakly, until a collection) on each node removed.
    const working = (impl as { _workingNodeIterators?: Iterable<unknown> & { delete(value: unknown): boolean } })._workingNodeIterators;
    if (working) for (const iterator of [...working]) working.delete(iterator);
    // Back to the state of a new document: no doctype, no html element (parsing sets the mode again).
    while (document.firstChild) document.removeChild(document.firstChild);
    internals.parseIntoDocument(String(markup), impl);
    return document;
  }
}

/** True when documents are reused (jsdom's parser was found); false means the slower fallback. */
export const reusesDocument = reused !== null;

/**
 * DOMPurify reads what it needs from the window it is given; this one is jsdom's window with the
 * DOMParser replaced (everything else is read through to the real window, `this` included).
 */
const purifyWindow = new Proxy(window, {
  get(target, property) {
    if (property === 'DOMParser') return ReusingDOMParser;
    const value = Reflect.get(target, property, target);
    return value;
  },
});

export const purifier: Purifier = createDOMPurify(purifyWindow);

/** A DOMPurify as isomorphic-dompurify builds it (a fresh document per call): the reference in tests. */
export function referencePurifier(): Purifier {
  return createDOMPurify(new JSDOM('<!DOCTYPE html>').window);
}
