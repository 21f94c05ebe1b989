import { richText } from '@secure-inbox/protocol/rich-text';

/** The allow-list shared with the server, re-exported for the editor. */
export { richText };

/*
 * The browser's second sanitizer: DOMPurify's rules for our allow-list, the same rules the server applies on write
 * (packages/server/src/domain/rich-text.ts), as a walk over a tree parsed in an inert document. sanitize.test.ts holds
 * its output to DOMPurify's (configured as the widget configured it before) for every XSS payload and random markup.
 * - Elements outside the allow-list are unwrapped (their content kept), except those whose content is not markup a
 *   reader should see (scripts, styles, SVG, MathML, templates, …), which go whole; so do elements outside the HTML
 *   namespace, comments, and an element without element children whose text spells markup (DOMPurify's
 *   namespace-confusion check), and a form whose named controls shadow the DOM's own properties.
 * - Attributes outside the allow-list go; an allowed one is kept, trimmed, when empty or when, without white space, it
 *   matches the allowed URL pattern, and not when it could close a raw-text element or a comment.
 * - Links keep only an http(s)/mailto address and always get `rel` and `target=_blank`.
 */
const allowedTags = new Set<string>(richText.allowedTags);
const allowedAttributes = new Set<string>(richText.allowedAttributes);
/** DOMPurify's FORBID_CONTENTS: removed with everything inside. */
const droppedWithContent = new Set(
  'annotation-xml audio colgroup desc foreignobject head iframe math mi mn mo ms mtext noembed noframes noscript plaintext script selectedcontent style svg template thead title video xmp'.split(
    ' ',
  ),
);
/** White space and invisible characters ignored when an address is checked (control characters among them). */
// eslint-disable-next-line no-control-regex -- DOMPurify's ATTR_WHITESPACE: control characters are what it matches
const addressSpace = /[\u0000-\u0020\u00a0\u1680\u180e\u2000-\u2029\u205f\u3000]/g;
/** A value that could end a raw-text element or a comment when the markup is parsed again. */
const valueBreakout = /((--!?|])>)|<\/(style|script|title|xmp|textarea|noscript|iframe|noembed|noframes)/i;
/** Text that spells markup. */
const markup = /<[/\w!]/;

function cleanAttributes(element: HTMLElement): void {
  for (const { name, value, namespaceURI } of [...element.attributes]) {
    const trimmed = value.trim();
    if (
      namespaceURI ||
      !allowedAttributes.has(name) ||
      valueBreakout.test(trimmed) ||
      (trimmed && !richText.allowedUriPattern.test(trimmed.replace(addressSpace, '')))
    )
      element.removeAttribute(name);
    else if (trimmed !== value) element.setAttribute(name, trimmed);
  }
  if (element.localName === 'a') {
    const href = element.getAttribute('href');
    if (href !== null && !richText.allowedUriPattern.test(href)) element.removeAttribute('href');
    element.setAttribute('target', '_blank');
    element.setAttribute('rel', richText.linkRel);
  }
}

/** Read from the prototype: a form's named controls can shadow its own `childNodes`. */
const childNodes = Object.getOwnPropertyDescriptor(Node.prototype, 'childNodes')!.get!;

/** A form whose named controls shadow what the walk uses (DOMPurify's clobbering check): it goes whole. */
const clobbered = (form: HTMLFormElement) =>
  typeof form.nodeName !== 'string' ||
  typeof form.textContent !== 'string' ||
  typeof form.removeChild !== 'function' ||
  !(form.attributes instanceof NamedNodeMap) ||
  typeof form.removeAttribute !== 'function' ||
  typeof form.setAttribute !== 'function' ||
  typeof form.namespaceURI !== 'string' ||
  typeof form.insertBefore !== 'function' ||
  typeof form.hasChildNodes !== 'function';

/** Cleans the children of `parent` (an allowed element, never a form) in place, in document order. */
function cleanChildren(parent: Node): void {
  const nodes = parent.childNodes;
  for (let i = 0, node: Node; (node = nodes[i]);) {
    if (!(node instanceof HTMLElement)) {
      // Text stays; comments and whatever is outside the HTML namespace go.
      if (node.nodeType === 3) i++;
      else parent.removeChild(node);
    } else if (
      (node instanceof HTMLFormElement && clobbered(node)) ||
      (!node.firstElementChild && markup.test(node.innerHTML) && markup.test(node.textContent!)) ||
      droppedWithContent.has(node.localName)
    )
      parent.removeChild(node);
    else if (allowedTags.has(node.localName)) {
      cleanAttributes(node);
      cleanChildren(node);
      i++;
    } else {
      // Unwrapped: its children take its place and are cleaned next.
      for (const child of [...(childNodes.call(node) as NodeListOf<ChildNode>)]) parent.insertBefore(child, node);
      parent.removeChild(node);
    }
  }
}

/**
 * Parsing happens in the inert document of a `<template>` (no scripts run, nothing loads), and the tree is cleaned
 * there, in place: much cheaper than a fresh DOMParser document per message in long threads.
 */
let inert: Document | undefined;

/** The HTML parser's formatting elements: an end tag of one leaves the blocks opened inside it open. */
const formatting = /^(?:a|b|big|code|em|font|i|nobr|s|small|strike|strong|tt|u)$/;

/**
 * Whether elements would nest deeper than any body the server writes (`richText.maxDepth`), read from the tags alone,
 * as the parser nests them: a start tag opens an element (`<br>` excepted); an end tag closes the innermost open
 * element of its name and those inside it, or only itself for a formatting element (the blocks inside stay open); an
 * end tag of nothing open changes nothing. Exact for the server's markup (every element closed where it was opened);
 * it can only overcount other markup. Parsing such a body would cost the page seconds, so it is not parsed at all.
 */
function tooDeepToParse(html: string): boolean {
  const open: string[] = [];
  for (const [, end, name] of html.matchAll(/<(\/?)([a-z][^\s/>]*)/gi)) {
    const tag = name!.toLowerCase();
    if (tag === 'br') continue;
    if (!end) {
      if (open.push(tag) > richText.maxDepth) return true;
    } else {
      const at = open.lastIndexOf(tag);
      if (at >= 0) open.splice(at, formatting.test(tag) ? 1 : open.length);
    }
  }
  return false;
}

/**
 * Whether the parsed tree nests deeper than `richText.maxDepth` all the same (the parser can nest elements without
 * their tags saying so, e.g. misnested formatting): one walk, stopping at the first element too deep. A tree walker,
 * not the nodes' own `firstChild`/`nextSibling`, which a form's named controls can shadow.
 */
function tooDeep(root: Node): boolean {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT);
  let depth = 0;
  for (;;) {
    if (walker.firstChild()) {
      if (++depth > richText.maxDepth) return true;
      continue;
    }
    while (!walker.nextSibling()) {
      if (!walker.parentNode()) return false;
      depth--;
    }
  }
}

/** The body's text, when it nests too deep to be shown as markup. Without a `<` left, the parser reads text only. */
const textOnly = (html: string) => html.replace(/<[^<>]*>/g, '').replaceAll('<', '&lt;');

const parse = (html: string) => {
  const element = (inert ??= document.createElement('template').content.ownerDocument).createElement('div');
  element.innerHTML = tooDeepToParse(html) ? textOnly(html) : html;
  // Nested deeper all the same: only its text is shown.
  if (tooDeep(element)) element.replaceChildren(element.textContent!);
  cleanChildren(element);
  return element;
};

/** Sanitizes HTML with the shared allow-list, as a string (the editor's value). */
export function sanitize(html: string): string {
  return parse(html).innerHTML;
}

const bodies = new WeakMap<object, HTMLElement>();

/**
 * A message's sanitized body, as the `<div part="message-body" class="body">` to render: its nodes are inserted as
 * they are, never serialized and parsed again. Made once per message object, so re-renders of long threads reuse it.
 */
export function bodyOf(message: { body: string }): HTMLElement {
  let body = bodies.get(message);
  if (!body) {
    bodies.set(message, (body = parse(message.body)));
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
  return shorten(parse(html).textContent!.replace(/\s+/g, ' '), max);
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
