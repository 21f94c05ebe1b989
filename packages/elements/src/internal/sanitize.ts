import { richText } from '@secure-inbox/protocol/rich-text';
import DOMPurify from 'dompurify';

/** The allow-list shared with the server, re-exported for the editor. */
export { richText };

const purify = DOMPurify(window);

purify.addHook('afterSanitizeAttributes', (node) => {
  if (node.nodeName !== 'A') return;
  const href = node.getAttribute('href');
  if (href !== null && !richText.allowedUriPattern.test(href.trim())) node.removeAttribute('href');
  node.setAttribute('target', '_blank');
  node.setAttribute('rel', richText.linkRel);
});

// Set once: passing a config to every sanitize() call would re-parse it each time (slow in long threads).
purify.setConfig({
  ALLOWED_TAGS: [...richText.allowedTags],
  ALLOWED_ATTR: [...richText.allowedAttributes],
  ALLOWED_URI_REGEXP: richText.allowedUriPattern,
  ALLOW_DATA_ATTR: false,
  ALLOW_ARIA_ATTR: false,
  IN_PLACE: true,
});

/**
 * Parsing happens in the inert document of a `<template>` (no scripts run, nothing loads), reusing one root, and
 * DOMPurify cleans that tree in place: much cheaper than a fresh DOMParser document per message in long threads.
 */
let inert: Document | undefined;
let root: HTMLElement | undefined;

const parse = (html: string, tag: string) => {
  const element = (inert ??= document.createElement('template').content.ownerDocument).createElement(tag);
  // Nested deeper than any body the server writes: only its text is shown (parsing it would cost the
  // page seconds). Without a `<` left, the parser reads text and character references only.
  element.innerHTML = nesting(html) > richText.maxDepth ? html.replace(/<[^<>]*>/g, '').replaceAll('<', '&lt;') : html;
  return element;
};

/** How deep elements nest, from the tags alone: exact for the server's markup (all closed, `<br>` the only void element). */
const nesting = (html: string) => {
  let depth = 0;
  let deepest = 0;
  for (const [tag] of html.matchAll(/<\/?(?!br\b)[a-z]/gi)) deepest = Math.max(deepest, (depth = tag[1] === '/' ? Math.max(depth - 1, 0) : depth + 1));
  return deepest;
};

function clean(html: string): HTMLElement {
  purify.sanitize((root = parse(html, 'blockquote')));
  return root;
}

/** Sanitizes HTML with the shared allow-list, as a string (the editor's value). */
export function sanitize(html: string): string {
  return clean(html).innerHTML;
}

const plainTags = new Set<string>(richText.allowedTags.filter((tag) => tag !== 'a'));

/** Only text and allow-listed elements without attributes (links excepted): DOMPurify would return it unchanged. */
const plain = (node: Node): boolean => {
  for (let child = node.firstChild; child; child = child.nextSibling) {
    if (child.nodeType !== 3 && !(child instanceof HTMLElement && plainTags.has(child.localName) && !child.attributes.length && plain(child))) return false;
  }
  return true;
};

const bodies = new WeakMap<object, HTMLElement>();

/**
 * A message's sanitized body, as the `<div part="message-body" class="body">` to render: its nodes are inserted as
 * they are, never serialized and parsed again. Made once per message object, so re-renders of long threads reuse it.
 * A body of plain formatting only (the usual message: the server cleaned it with the same allow-list) is kept as
 * parsed, for DOMPurify would return it unchanged and costs far more than parsing; any other goes through DOMPurify.
 */
export function bodyOf(message: { body: string }): HTMLElement {
  let body = bodies.get(message);
  if (!body) {
    bodies.set(message, (body = parse(message.body, 'div')));
    if (!plain(body)) body.replaceChildren(...clean(message.body).childNodes);
    body.setAttribute('part', 'message-body');
    body.className = 'body';
  }
  return body;
}

const shorten = (text: string, max: number) => {
  text = text.replace(/[^\S\n]+/g, ' ').trim();
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
};

/** Plain text of a message body, for quotes and previews (rendered as text, never as HTML). */
export function textOf(html: string, max = 160): string {
  return shorten(clean(html).textContent!.replace(/\s+/g, ' '), max);
}

/** Text as it reads: a line break at each `<br>` and after each paragraph, list item, quote or `pre`. */
const lines = (node: Node): string =>
  node.nodeType === 3
    ? node.textContent!.replace(/\s+/g, ' ')
    : node.nodeName === 'BR'
      ? '\n'
      : [...node.childNodes].map(lines).join('') + (/^(P|LI|PRE|BLOCKQUOTE)$/.test(node.nodeName) ? '\n' : '');

/**
 * The same for a message, from its sanitized body (`bodyOf`): nothing is parsed or sanitized again. Its line
 * breaks are kept (one per break; blank lines fold), for a quote that reads like the message (`white-space: pre-line`).
 */
export function quoteOf(message: { body: string }, max = 160): string {
  return shorten(lines(bodyOf(message)).replace(/ ?\n[\s]*/g, '\n'), max);
}
