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

/** Links keep only allowed addresses and always open in a new tab without referrer or opener. */
export function addLinkHook(instance: DOMPurify): void {
  instance.addHook('afterSanitizeAttributes', (node) => {
    if (node.nodeName === 'A') {
      const href = node.getAttribute('href') ?? '';
      if (!richText.allowedUriPattern.test(href.trim())) node.removeAttribute('href');
      node.setAttribute('rel', richText.linkRel);
      node.setAttribute('target', '_blank');
    }
  });
}

addLinkHook(purifier);
// The server's instance only ever sanitizes rich text: its configuration is parsed once, not per call.
purifier.setConfig(richTextConfig);

/**
 * Sanitizes rich text on write with the shared allow-list. Markup the sanitizer would return unchanged
 * (unchanged-markup.ts) is returned as it is, without parsing it.
 */
export function sanitizeRichText(html: string): string {
  if (unchangedBySanitizer(html)) return html;
  return purifier.sanitize(html).trim();
}

/** A message body as it is written: sanitized, with its plain text (domain/messages.ts). */
export function prepareRichText(html: string): RichTextBody {
  const body = sanitizeRichText(html);
  return { body, text: htmlToText(body) };
}
