/**
 * Rich text on write: DOMPurify with the shared allow-list (on jsdom, sanitizer.ts). Kept apart from
 * text.ts so that what only writes prepared bodies (the writer thread, db/writer-thread.ts) never
 * loads jsdom.
 */
import { richText } from '@secure-inbox/protocol';
import type { Config, DOMPurify } from 'isomorphic-dompurify';
import { purifier } from './sanitizer.js';
import { htmlToText, type RichTextBody } from './text.js';
import { unchangedBySanitizer } from './unchanged-markup.js';

/** The allow-list of rich text, as DOMPurify's configuration. */
export const richTextConfig: Config = {
  ALLOWED_TAGS: [...richText.allowedTags],
  ALLOWED_ATTR: [...richText.allowedAttributes],
  ALLOWED_URI_REGEXP: richText.allowedUriPattern,
  ALLOW_DATA_ATTR: false,
  ALLOW_ARIA_ATTR: false,
};

/**
 * A web address written as plain text: `http(s)://` up to a space or markup character, not ending in punctuation that
 * ends a sentence. One character class after another: each match is found in time linear in its length.
 */
const WEB_ADDRESS = /(\bhttps?:\/\/[^\s<>"]*[^\s<>"'.,;:!?)\]])/i;

/**
 * Links keep only allowed addresses and always open in a new tab without referrer or opener. Web addresses written
 * as plain text (outside links) become such links: built as nodes, never as markup, and walked and checked by the
 * sanitizer right after, as every link is. Only `http(s)` addresses are linked this way.
 */
export function addLinkHook(instance: DOMPurify): void {
  instance.addHook('afterSanitizeAttributes', (node) => {
    if (node.nodeName === 'A') {
      const href = node.getAttribute('href') ?? '';
      if (!richText.allowedUriPattern.test(href.trim())) node.removeAttribute('href');
      node.setAttribute('rel', richText.linkRel);
      node.setAttribute('target', '_blank');
    }
  });
  instance.addHook('afterSanitizeElements', (node) => {
    if (node.nodeType !== 3 || !node.parentElement || node.parentElement.closest('a')) return;
    const parts = (node.textContent ?? '').split(WEB_ADDRESS);
    if (parts.length < 2) return;
    const document = node.ownerDocument!;
    (node as unknown as ChildNode).replaceWith(
      ...parts.map((part, index) => {
        if (index % 2 === 0) return part;
        const link = document.createElement('a');
        link.setAttribute('href', part);
        link.setAttribute('rel', richText.linkRel);
        link.setAttribute('target', '_blank');
        link.textContent = part;
        return link;
      }),
    );
  });
}

addLinkHook(purifier);
// The server's instance only ever sanitizes rich text: its configuration is parsed once, not per call.
purifier.setConfig(richTextConfig);

/**
 * Sanitizes rich text on write with the shared allow-list, plain-text web addresses made links. Markup the
 * sanitizer would return unchanged (unchanged-markup.ts) is returned as it is, without parsing it.
 */
export function sanitizeRichText(html: string): string {
  // A web address in the text is made a link by the sanitizer (addLinkHook): such bodies always go through it.
  const address = html.includes('://');
  if (!address && unchangedBySanitizer(html)) return html;
  // DOMPurify returns text without markup as it is, so a plain-text body with an address is read as a paragraph.
  return purifier.sanitize(address && !html.includes('<') ? `<p>${html}</p>` : html).trim();
}

/** A message body as it is written: sanitized, with its plain text (domain/messages.ts). */
export function prepareRichText(html: string): RichTextBody {
  const body = sanitizeRichText(html);
  return { body, text: htmlToText(body) };
}
