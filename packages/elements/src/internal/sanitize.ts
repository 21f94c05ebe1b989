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
let root: HTMLElement | undefined;

function clean(html: string): HTMLElement {
  root ??= document.createElement('template').content.ownerDocument.createElement('blockquote');
  root.innerHTML = html;
  purify.sanitize(root);
  return root;
}

/** Sanitizes message HTML with the shared allow-list; the only input ever given to `unsafeHTML`. */
export function sanitize(html: string): string {
  return clean(html).innerHTML;
}

/** Plain text of a message body, for quotes and previews (rendered as text, never as HTML). */
export function textOf(html: string, max = 160): string {
  const text = (clean(html).textContent ?? '').replace(/\s+/g, ' ').trim();
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
