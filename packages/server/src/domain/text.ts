import { richText } from '@secure-inbox/protocol';
import type { Config, DOMPurify } from 'isomorphic-dompurify';
import { purifier } from './sanitizer.js';
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

const entities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/** Plain text of sanitized HTML: for previews, search and e-mail. */
export function htmlToText(html: string): string {
  return html
    .replace(/<(br|\/p|\/li|\/blockquote|\/pre)\b[^>]*>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
      if (name[0] === '#') {
        const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
        return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
      }
      return entities[name.toLowerCase()] ?? whole;
    })
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Plain-text fields (subject, tip, titles): control characters and bidi overrides removed. */
export function cleanPlainText(value: string, keepNewlines = false): string {
  const controls = keepNewlines ? /[\u0000-\u0009\u000b-\u001f\u007f\u202a-\u202e\u2066-\u2069]/g : /[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069]/g;
  return value.replace(controls, '').trim();
}

export const preview = (text: string, length = 140) => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > length ? `${flat.slice(0, length - 1)}…` : flat;
};
