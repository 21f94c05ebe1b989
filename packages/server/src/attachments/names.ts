/**
 * File names of uploads: cleaned once on the way in, always handled as text, and written into
 * `Content-Disposition` the RFC 6266 way on the way out.
 */

export const MAX_NAME_LENGTH = 200;
const FALLBACK_NAME = 'attachment';

/** Bidi embeddings, overrides and isolates (U+202A–202E, U+2066–2069) and the invisible direction marks. */
const BIDI = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/gu;
/** C0/C1 control characters, CR and LF included. */
const CONTROL = /\p{Cc}/gu;

/**
 * Cleans a client-supplied file name: no directories (only the last path segment is kept), no `..`,
 * no control or bidi-override characters, trimmed, at most 200 characters with the extension kept,
 * and "attachment" when nothing is left.
 */
export function cleanFileName(raw: string | undefined | null): string {
  let name = (raw ?? '').normalize('NFC').replace(CONTROL, '').replace(BIDI, '');
  name = name.split(/[/\\]/).pop() ?? '';
  name = trimDotsAndSpaces(name.replace(/\.{2,}/g, '.').replace(/\s+/g, ' '));
  name = truncate(name, MAX_NAME_LENGTH);
  return name || FALLBACK_NAME;
}

const dotOrSpace = (ch: string) => ch === '.' || /\s/.test(ch);

/**
 * `name` without dots and white space at its ends (only at its end with `start` false). A loop, not
 * `/^[\s.]+|[\s.]+$/`: that pattern tries `[\s.]+$` from every character of a run of dots and spaces
 * inside the name and scans the rest of the run each time (a name of ". " × 8,000 between two letters
 * took seconds).
 */
function trimDotsAndSpaces(name: string, start = true): string {
  let from = 0;
  let to = name.length;
  if (start) while (from < to && dotOrSpace(name[from]!)) from += 1;
  while (to > from && dotOrSpace(name[to - 1]!)) to -= 1;
  return name.slice(from, to);
}

function truncate(name: string, max: number): string {
  const chars = Array.from(name);
  if (chars.length <= max) return name;
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 ? Array.from(name.slice(dot)) : [];
  if (ext.length > 0 && ext.length <= 16)
    return (
      chars
        .slice(0, max - ext.length)
        .join('')
        .trimEnd() + ext.join('')
    );
  return chars.slice(0, max).join('').trimEnd();
}

/** The lower-cased extension of a name without the dot, or '' when it has none. */
export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
}

/**
 * Makes the name's extension agree with the type decided from the bytes: a wrong last extension is
 * dropped ("x.pdf.html" holding a PDF becomes "x.pdf") and the canonical one is added when the name
 * does not already end in an accepted one ("photo" holding a PNG becomes "photo.png").
 */
export function withExtension(name: string, accepted: readonly string[]): string {
  let base = name;
  if (!accepted.includes(extensionOf(base)) && extensionOf(base) !== '') base = base.slice(0, base.lastIndexOf('.'));
  base = trimDotsAndSpaces(base, false);
  if (accepted.includes(extensionOf(base))) return base;
  const ext = `.${accepted[0]}`;
  return truncate(base || FALLBACK_NAME, MAX_NAME_LENGTH - ext.length) + ext;
}

/** An ASCII-only stand-in for the name, for clients that do not read `filename*`. */
export function asciiFallback(name: string): string {
  const ascii = name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[^\x20-\x7E]/g, '_')
    .replace(/["\\%;]/g, '_');
  const dot = ascii.lastIndexOf('.');
  const stem = dot > 0 ? ascii.slice(0, dot) : ascii;
  return /[A-Za-z0-9]/.test(stem) ? ascii : FALLBACK_NAME + (dot > 0 ? ascii.slice(dot) : '');
}

/** RFC 8187 `ext-value` encoding: percent-encodes everything outside `attr-char`. */
function encodeExtValue(value: string): string {
  return encodeURIComponent(value).replace(/['()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** `attachment; filename="ascii"; filename*=UTF-8''utf8` — always a download, never rendered inline. */
export function contentDisposition(name: string): string {
  return `attachment; filename="${asciiFallback(name)}"; filename*=UTF-8''${encodeExtValue(name)}`;
}
