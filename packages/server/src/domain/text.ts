/** Plain-text helpers; rich text is sanitized in rich-text.ts. */

/** A message body as written: sanitized markup and its plain text. */
export interface RichTextBody {
  body: string;
  text: string;
}

const entities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/**
 * Plain text of sanitized HTML: for previews, search and e-mail. Every pattern here is linear: none
 * can start at one place and scan a run that the next start scans again (`[^<>]` stops at the next
 * tag, references are at most 32 characters long), and spaces before a line break are trimmed line
 * by line, not by a pattern (`[ \t]+\n` rescans a run of spaces from each of its characters).
 */
export function htmlToText(html: string): string {
  const text = html
    .replace(/<(?:br|\/p|\/li|\/blockquote|\/pre)(?:[\s/][^<>]*)?>/gi, '\n')
    .replace(/<[^<>]*>/g, '')
    .replace(/&(#x[0-9a-f]{1,8}|#\d{1,8}|[a-z]{1,32});/gi, (whole, name: string) => {
      if (name[0] === '#') {
        const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
        return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
      }
      return entities[name.toLowerCase()] ?? whole;
    });
  return text
    .split('\n')
    .map((line, i, lines) => (i < lines.length - 1 ? trimSpacesAtEnd(line) : line))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** `line` without the spaces and tabs at its end. */
function trimSpacesAtEnd(line: string): string {
  let end = line.length;
  while (end > 0 && (line[end - 1] === ' ' || line[end - 1] === '\t')) end -= 1;
  return end === line.length ? line : line.slice(0, end);
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
