/**
 * The one allow-list for rich text, used by the server on write and by the elements before rendering.
 * A module of its own (no zod) so the browser bundle can import it without the schemas.
 */
export const richText = {
  allowedTags: ['p', 'br', 'strong', 'b', 'em', 'i', 'u', 's', 'a', 'ul', 'ol', 'li', 'blockquote', 'code', 'pre'],
  allowedAttributes: ['href', 'rel', 'target'],
  allowedUriPattern: /^(?:https?:|mailto:)/i,
  linkRel: 'noopener noreferrer nofollow',
  /** Elements nest at most this deep in a body: the server refuses deeper ones, the widget keeps only their text. */
  maxDepth: 64,
} as const;
