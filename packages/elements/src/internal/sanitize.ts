import DOMPurify from 'dompurify';

/**
 * The rich-text allow-list, identical to `richText` in @secure-inbox/protocol (a test keeps the two equal).
 * It is repeated here so the bundle does not pull zod in with the protocol module.
 */
export const richText = {
  allowedTags: ['p', 'br', 'strong', 'b', 'em', 'i', 'u', 's', 'a', 'ul', 'ol', 'li', 'blockquote', 'code', 'pre'],
  allowedAttributes: ['href', 'rel', 'target'],
  allowedUriPattern: /^(?:https?:|mailto:)/i,
  linkRel: 'noopener noreferrer nofollow',
} as const;

const purify = DOMPurify(window);

purify.addHook('afterSanitizeAttributes', (node) => {
  if (node.nodeName !== 'A') return;
  const href = node.getAttribute('href');
  if (href !== null && !richText.allowedUriPattern.test(href.trim())) node.removeAttribute('href');
  node.setAttribute('target', '_blank');
  node.setAttribute('rel', richText.linkRel);
});

const config = {
  ALLOWED_TAGS: [...richText.allowedTags],
  ALLOWED_ATTR: [...richText.allowedAttributes],
  ALLOWED_URI_REGEXP: richText.allowedUriPattern,
  ALLOW_DATA_ATTR: false,
  ALLOW_ARIA_ATTR: false,
};

/** Sanitizes message HTML with the shared allow-list; the only input ever given to `unsafeHTML`. */
export function sanitize(html: string): string {
  return purify.sanitize(html, config) as unknown as string;
}

/** Plain text of a message body, for quotes and previews (rendered as text, never as HTML). */
export function textOf(html: string, max = 160): string {
  const fragment = purify.sanitize(html, { ...config, RETURN_DOM_FRAGMENT: true }) as unknown as DocumentFragment;
  const text = (fragment.textContent ?? '').replace(/\s+/g, ' ').trim();
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
