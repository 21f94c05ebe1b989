/**
 * Rich text on write: parsed by parse5 (the HTML standard's parser, the one jsdom and so the former
 * DOMPurify-on-jsdom sanitizer used), reduced to the shared allow-list, serialized by parse5.
 *
 * The rules are DOMPurify's, for the configuration the widget also uses (elements/src/internal/sanitize.ts):
 * - elements outside the allow-list are unwrapped (their content kept), except those whose content is
 *   not markup a reader should see (scripts, styles, SVG, MathML, templates, …), which go whole; so do
 *   elements outside the HTML namespace, comments, and an element whose only children are text and
 *   comments while its text spells markup (DOMPurify's namespace-confusion check);
 * - attributes outside the allow-list go; an allowed one is kept, trimmed, when empty or when, without
 *   white space, it matches the allowed URL pattern, and not when it could close a raw-text element;
 * - links keep only an http(s)/mailto address and always get `rel` and `target=_blank`;
 * - input without a `<` holds no markup and is returned as it is (trimmed), as DOMPurify does.
 *
 * test/sanitizer.test.ts holds the output to DOMPurify's on jsdom for every XSS payload and for random
 * markup. Cost is linear in the input: the tree may not grow deeper than MAX_DEPTH, which also bounds
 * what the parser does per token (scope checks, formatting elements), and a deeper body is refused.
 * Kept apart from text.ts so that what only writes prepared bodies (the writer thread) never loads parse5.
 */
import { richText } from '@secure-inbox/protocol';
import { defaultTreeAdapter, parse, serialize, type DefaultTreeAdapterTypes as T, type TreeAdapter, type DefaultTreeAdapterMap } from 'parse5';
import { invalid } from '../errors.js';
import { htmlToText, type RichTextBody } from './text.js';

/** Elements may nest this deep in a body (a body's own children are at depth 1); deeper is refused. */
export const MAX_RICH_TEXT_DEPTH = richText.maxDepth;

const HTML_NS = 'http://www.w3.org/1999/xhtml';
const ALLOWED_TAGS = new Set<string>(richText.allowedTags);
const ALLOWED_ATTRIBUTES = new Set<string>(richText.allowedAttributes);
/** DOMPurify's FORBID_CONTENTS: removed with everything inside. */
const DROPPED_WITH_CONTENT = new Set([
  'annotation-xml',
  'audio',
  'colgroup',
  'desc',
  'foreignobject',
  'head',
  'iframe',
  'math',
  'mi',
  'mn',
  'mo',
  'ms',
  'mtext',
  'noembed',
  'noframes',
  'noscript',
  'plaintext',
  'script',
  'selectedcontent',
  'style',
  'svg',
  'template',
  'thead',
  'title',
  'video',
  'xmp',
]);
/** White space and invisible characters DOMPurify ignores when it checks an address. */
const ADDRESS_SPACE = /[\u0000-\u0020\u00a0\u1680\u180e\u2000-\u2029\u205f\u3000]/g;
/** A value that could end a raw-text element or a comment when the markup is parsed again. */
const VALUE_BREAKOUT = /((--!?|])>)|<\/(style|script|title|xmp|textarea|noscript|iframe|noembed|noframes)/i;
/** Text that spells markup (DOMPurify's element markup probe). */
const MARKUP_IN_TEXT = /<[/\w!]/;

/** Thrown while parsing when an element would sit deeper than MAX_RICH_TEXT_DEPTH. */
class TooDeep extends Error {}

const templateHosts = new WeakMap<T.DocumentFragment, T.Element>();

/** How deep `node` sits below the body (html, head and body themselves do not count). */
function depthOf(node: T.ParentNode | null): number {
  let depth = 0;
  while (node) {
    if ('tagName' in node) {
      if (node.tagName !== 'html' && node.tagName !== 'body' && node.tagName !== 'head') depth += 1;
      if (depth > MAX_RICH_TEXT_DEPTH) return depth;
      node = node.parentNode;
    } else {
      node = templateHosts.get(node as T.DocumentFragment) ?? null;
    }
  }
  return depth;
}

const guard = (parent: T.ParentNode, child: T.ChildNode) => {
  if ('tagName' in child && depthOf(parent) + 1 > MAX_RICH_TEXT_DEPTH) throw new TooDeep();
};

/** parse5's own tree, refusing to grow past the bound (the parser's documented customization point). */
const boundedTree: TreeAdapter<DefaultTreeAdapterMap> = {
  ...defaultTreeAdapter,
  appendChild(parent, child) {
    guard(parent, child);
    defaultTreeAdapter.appendChild(parent, child);
  },
  insertBefore(parent, child, reference) {
    guard(parent, child);
    defaultTreeAdapter.insertBefore(parent, child, reference);
  },
  setTemplateContent(template, content) {
    templateHosts.set(content, template);
    defaultTreeAdapter.setTemplateContent(template, content);
  },
};

const isElement = (node: T.Node): node is T.Element => 'tagName' in node;

/** DOMPurify's namespace-confusion check: only text and comments inside, and the text spells markup. */
function spellsMarkup(element: T.Element): boolean {
  const children = element.childNodes;
  if (children.length === 0 || children.some(isElement)) return false;
  const text = children.map((child) => (child.nodeName === '#text' ? (child as T.TextNode).value : '')).join('');
  if (!MARKUP_IN_TEXT.test(text)) return false;
  // Text is serialized escaped, so the serialized content spells markup only through a comment
  // (no element of the allow-list or unwrapped by it keeps raw text).
  return children.some((child) => child.nodeName === '#comment');
}

function cleanAttributes(element: T.Element): void {
  const kept: T.Element['attrs'] = [];
  for (const attribute of element.attrs) {
    if (attribute.namespace || !ALLOWED_ATTRIBUTES.has(attribute.name)) continue;
    const value = attribute.value.trim();
    if (VALUE_BREAKOUT.test(value)) continue;
    if (value !== '' && !richText.allowedUriPattern.test(value.replace(ADDRESS_SPACE, ''))) continue;
    kept.push({ name: attribute.name, value });
  }
  if (element.tagName === 'a') {
    const href = kept.findIndex((attribute) => attribute.name === 'href');
    if (href >= 0 && !richText.allowedUriPattern.test(kept[href]!.value)) kept.splice(href, 1);
    for (const [name, value] of [
      ['rel', richText.linkRel],
      ['target', '_blank'],
    ] as const) {
      const present = kept.find((attribute) => attribute.name === name);
      if (present) present.value = value;
      else kept.push({ name, value });
    }
  }
  element.attrs = kept;
}

/**
 * A web address written as plain text: `http(s)://` up to a space or markup character, not ending in punctuation that
 * ends a sentence. One character class after another: each match is found in time linear in its length.
 */
const WEB_ADDRESS = /(\bhttps?:\/\/[^\s<>"]*[^\s<>"'.,;:!?)\]])/i;

/**
 * The nodes a text node becomes: web addresses written as plain text (outside links) made links, built as
 * nodes (never as markup) with the same address check, `rel` and `target` as written links. Only `http(s)`.
 */
function linkified(text: T.TextNode, parent: T.ParentNode): T.ChildNode[] {
  if (!text.value.includes('://')) return [text];
  const parts = text.value.split(WEB_ADDRESS);
  if (parts.length < 2) return [text];
  const nodes: T.ChildNode[] = [];
  parts.forEach((part, index) => {
    if (part === '') return;
    if (index % 2 === 0 || !richText.allowedUriPattern.test(part)) {
      nodes.push({ nodeName: '#text', value: part, parentNode: parent } as T.TextNode);
      return;
    }
    const link = defaultTreeAdapter.createElement('a', HTML_NS as T.Element['namespaceURI'], [
      { name: 'href', value: part },
      { name: 'rel', value: richText.linkRel },
      { name: 'target', value: '_blank' },
    ]);
    defaultTreeAdapter.insertText(link, part);
    link.parentNode = parent as T.Element;
    nodes.push(link);
  });
  return nodes;
}

/**
 * Cleans the tree below `root` in place, without recursion (explicit stacks), refusing a tree deeper
 * than the bound (the parser may move subtrees after inserting them, so the walk checks again).
 */
function cleanChildren(root: T.ParentNode): void {
  const parents: [T.ParentNode, number, boolean][] = [[root, 0, false]];
  while (parents.length) {
    const [parent, depth, inLink] = parents.pop()!;
    const kept: T.ChildNode[] = [];
    // The children of an unwrapped element take its place: walk into it, one level deeper in the tree.
    const lists: [T.ChildNode[], number][] = [[parent.childNodes, 0]];
    while (lists.length) {
      const top = lists[lists.length - 1]!;
      const child = top[0][top[1]++];
      if (!child) {
        lists.pop();
        continue;
      }
      if (child.nodeName === '#text') {
        child.parentNode = parent;
        if (inLink) kept.push(child);
        else kept.push(...linkified(child as T.TextNode, parent));
        continue;
      }
      if (!isElement(child)) continue; // comments
      const childDepth = depth + lists.length;
      if (childDepth > MAX_RICH_TEXT_DEPTH) throw new TooDeep();
      if (spellsMarkup(child)) continue;
      if (child.namespaceURI !== HTML_NS) continue;
      if (ALLOWED_TAGS.has(child.tagName)) {
        cleanAttributes(child);
        child.parentNode = parent;
        kept.push(child);
        parents.push([child, childDepth, inLink || child.tagName === 'a']);
      } else if (!DROPPED_WITH_CONTENT.has(child.tagName)) {
        lists.push([child.childNodes, 0]);
      }
    }
    parent.childNodes = kept;
  }
}

/**
 * Sanitizes rich text on write with the shared allow-list, plain-text web addresses made links. A body nested deeper than
 * MAX_RICH_TEXT_DEPTH is refused with 422 `invalid`, naming the bound.
 */
export function sanitizeRichText(html: string, field = 'body'): string {
  // A web address in the text is made a link: text without markup but with an address is read as a paragraph.
  const address = html.includes('://');
  if (!html.includes('<')) {
    if (!address) return html.trim();
    html = `<p>${html}</p>`;
  }
  let root: T.ParentNode | undefined;
  try {
    const document = parse(html, { treeAdapter: boundedTree, scriptingEnabled: false });
    const top = document.childNodes.find((node): node is T.Element => isElement(node) && node.tagName === 'html');
    root = top?.childNodes.find((node): node is T.Element => isElement(node) && (node.tagName === 'body' || node.tagName === 'frameset'));
    if (!root) return '';
    cleanChildren(root);
  } catch (error) {
    if (error instanceof TooDeep) throw invalid(field, `is nested more than ${MAX_RICH_TEXT_DEPTH} elements deep (the limit is ${MAX_RICH_TEXT_DEPTH})`);
    throw error;
  }
  return serialize(root).trim();
}

/** A message body as it is written: sanitized, with its plain text (domain/messages.ts). */
export function prepareRichText(html: string): RichTextBody {
  const body = sanitizeRichText(html);
  return { body, text: htmlToText(body) };
}
