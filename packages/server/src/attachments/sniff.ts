/**
 * Deciding what an upload is from its bytes, never from its name or the client's Content-Type.
 *
 * Binary formats are recognised by `file-type` and must be on the allow-list. Text has no magic:
 * it is accepted only as valid UTF-8 without NUL that does not look like markup or script near its
 * start. Images that carry HTML or script as well (polyglots) are refused.
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { fileTypeFromBuffer, fileTypeFromFile } from 'file-type';
import { ApiError } from '../errors.js';
import { extensionOf, withExtension } from './names.js';

/** How much of the start of a file is kept for the text checks. */
const HEAD_BYTES = 64 * 1024;
/** After this many bytes (what `file-type` reads to detect a type) an upload off the allow-list is refused. */
export const EARLY_BYTES = 4100;
/** Text counts as markup when one of these appears within this many bytes of its start. */
const TEXT_MARKUP_WINDOW = 1024;
const TEXT_MARKUP = ['<html', '<svg', '<script', '<?xml', '<!doctype', '<head', '<body', '<iframe', '<!entity'];
/** Markers of HTML or script hidden in an image (a polyglot), looked for in the whole file. */
const POLYGLOT_MARKUP = ['<script', '<html', '<svg', '<iframe', '<body', '<!doctype', '<object', '<embed', 'javascript:'];
/** A marker may straddle two chunks: this many characters of one are looked at again with the next. */
const MARKER_OVERLAP = Math.max(...POLYGLOT_MARKUP.map((marker) => marker.length)) - 1;

/**
 * A pass-through stream that hashes and counts the bytes, keeps the first 64 KiB, notes whether the
 * whole is valid UTF-8 without NUL and whether it carries polyglot markup anywhere. Once the first
 * EARLY_BYTES have passed, it asks `refuseEarly` whether the type is refused already (the stream then
 * fails with its 415, so the rest is never read); an image that shows markup fails at that chunk.
 */
export class Inspector extends Transform {
  readonly #hash: Hash = createHash('sha256');
  readonly #decoder = new TextDecoder('utf-8', { fatal: true });
  readonly #headChunks: Buffer[] = [];
  readonly #refuseEarly: ((inspected: Inspector) => Promise<Early>) | undefined;
  #headLength = 0;
  #early: Early | undefined;
  #tail = '';
  size = 0;
  utf8 = true;
  nul = false;
  markup = false;

  constructor(refuseEarly?: (inspected: Inspector) => Promise<Early>) {
    super();
    this.#refuseEarly = refuseEarly;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.#inspect(chunk);
    if (this.#early?.image && this.markup) return done(unsupported(POLYGLOT));
    if (this.#refuseEarly && !this.#early && this.#headLength >= EARLY_BYTES) {
      this.#refuseEarly(this).then(
        (early) => {
          this.#early = early;
          if (early.image && this.markup) done(unsupported(POLYGLOT));
          else done(null, chunk);
        },
        (error: unknown) => done(error as Error),
      );
      return;
    }
    done(null, chunk);
  }

  #inspect(chunk: Buffer): void {
    this.#hash.update(chunk);
    this.size += chunk.length;
    if (!this.markup) {
      const text = this.#tail + chunk.toString('latin1').toLowerCase();
      this.markup = containsAny(text, POLYGLOT_MARKUP);
      this.#tail = text.slice(-MARKER_OVERLAP);
    }
    if (this.#headLength < HEAD_BYTES) {
      const part = chunk.subarray(0, HEAD_BYTES - this.#headLength);
      this.#headChunks.push(part);
      this.#headLength += part.length;
    }
    if (this.utf8 && !this.nul) {
      if (chunk.includes(0)) this.nul = true;
      else {
        try {
          this.#decoder.decode(chunk, { stream: true });
        } catch {
          this.utf8 = false;
        }
      }
    }
  }

  override _flush(done: TransformCallback): void {
    if (this.utf8 && !this.nul) {
      try {
        this.#decoder.decode();
      } catch {
        this.utf8 = false;
      }
    }
    done();
  }

  get head(): Buffer {
    return Buffer.concat(this.#headChunks);
  }

  sha256(): string {
    return this.#hash.digest('hex');
  }
}

interface Kind {
  contentType: string;
  /** Accepted extensions, the canonical one first. */
  extensions: string[];
  image?: boolean;
}

/** The allow-list, keyed by `file-type`'s extension. */
const BINARY: Record<string, Kind> = {
  pdf: { contentType: 'application/pdf', extensions: ['pdf'] },
  png: { contentType: 'image/png', extensions: ['png'], image: true },
  apng: { contentType: 'image/png', extensions: ['png', 'apng'], image: true },
  jpg: { contentType: 'image/jpeg', extensions: ['jpg', 'jpeg', 'jpe', 'jfif'], image: true },
  gif: { contentType: 'image/gif', extensions: ['gif'], image: true },
  webp: { contentType: 'image/webp', extensions: ['webp'], image: true },
  docx: { contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', extensions: ['docx'] },
  xlsx: { contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', extensions: ['xlsx'] },
  pptx: { contentType: 'application/vnd.openxmlformats-officedocument.presentationml.presentation', extensions: ['pptx'] },
  odt: { contentType: 'application/vnd.oasis.opendocument.text', extensions: ['odt'] },
  ods: { contentType: 'application/vnd.oasis.opendocument.spreadsheet', extensions: ['ods'] },
  odp: { contentType: 'application/vnd.oasis.opendocument.presentation', extensions: ['odp'] },
};

/**
 * Legacy Office files are Compound File Binary containers, as are installers (.msi) and others:
 * the name has to say which Office format it is.
 */
const LEGACY_OFFICE: Record<string, Kind> = {
  doc: { contentType: 'application/msword', extensions: ['doc'] },
  xls: { contentType: 'application/vnd.ms-excel', extensions: ['xls'] },
  ppt: { contentType: 'application/vnd.ms-powerpoint', extensions: ['ppt'] },
};

/** Extensions a text upload may keep; any other becomes `.txt`. */
const TEXT_EXTENSIONS = ['txt', 'text', 'log', 'md', 'markdown', 'json', 'yaml', 'yml', 'ini', 'cfg', 'conf', 'tsv'];

const ALLOWED = 'PDF, PNG, JPEG, GIF, WebP, plain text, CSV, Word, Excel, PowerPoint or OpenDocument files';

const unsupported = (message: string) => new ApiError(415, 'unsupported_type', `${message} Only ${ALLOWED} are accepted.`);

function containsAny(text: string, markers: readonly string[]): boolean {
  return markers.some((marker) => text.includes(marker));
}

const POLYGLOT = 'The image also carries HTML or script (a polyglot file).';
const NOT_TEXT = 'The file is neither a recognised document or image nor UTF-8 text.';
const MARKUP_TEXT = 'The file looks like HTML, SVG, XML or script.';
const refusedBinary = (detected: { ext: string; mime: string }) =>
  unsupported(`The file's content is ${detected.ext.toUpperCase()} (${detected.mime}), whatever its name says.`);

/** What the first bytes tell: whether the upload is an image (then markup anywhere refuses it). */
export interface Early {
  image: boolean;
}

/**
 * Refuses, from the first EARLY_BYTES of an upload, what decideType would refuse whatever follows:
 * a binary type off the allow-list (ZIP and compound files may still turn out to be Office
 * documents, so they wait for the whole file), and, with no type detected, bytes that are not UTF-8
 * text or text that starts like markup. Everything else is decided from the whole file.
 */
export async function refuseEarly(inspected: { head: Buffer; utf8: boolean; nul: boolean }): Promise<Early> {
  const detected = await fileTypeFromBuffer(inspected.head);
  if (detected) {
    if (detected.ext === 'zip' || detected.ext === 'cfb') return { image: false };
    const kind = BINARY[detected.ext];
    if (!kind) throw refusedBinary(detected);
    return { image: Boolean(kind.image) };
  }
  if (inspected.nul || !inspected.utf8) throw unsupported(NOT_TEXT);
  if (containsAny(inspected.head.subarray(0, TEXT_MARKUP_WINDOW).toString('utf8').toLowerCase(), TEXT_MARKUP)) throw unsupported(MARKUP_TEXT);
  return { image: false };
}

export interface Decided {
  contentType: string;
  /** The cleaned name with its extension made to agree with the content type. */
  name: string;
}

/** Decides the type of a received file from its bytes; throws 415 for anything off the allow-list. */
export async function decideType(file: string, name: string, inspected: { head: Buffer; utf8: boolean; nul: boolean; markup: boolean }): Promise<Decided> {
  const detected = await fileTypeFromFile(file);
  if (detected) {
    let kind = BINARY[detected.ext];
    if (detected.ext === 'cfb') {
      kind = LEGACY_OFFICE[extensionOf(name)];
      if (!kind) throw unsupported('The file is a compound document that is not named .doc, .xls or .ppt (installers and other compound files are refused).');
    }
    if (!kind) throw refusedBinary(detected);
    if (kind.image && inspected.markup) throw unsupported(POLYGLOT);
    return { contentType: kind.contentType, name: withExtension(name, kind.extensions) };
  }

  if (inspected.nul || !inspected.utf8) throw unsupported(NOT_TEXT);
  const start = inspected.head.subarray(0, TEXT_MARKUP_WINDOW).toString('utf8').toLowerCase();
  if (containsAny(start, TEXT_MARKUP)) throw unsupported(MARKUP_TEXT);
  if (extensionOf(name) === 'csv') return { contentType: 'text/csv', name };
  return { contentType: 'text/plain', name: withExtension(name, TEXT_EXTENSIONS) };
}

/**
 * The Content-Type a download is served with: text, images and PDF as themselves, everything else as
 * opaque bytes. Never a type a browser would run.
 */
export function servedType(contentType: string): string {
  if (contentType === 'text/plain' || contentType === 'text/csv') return `${contentType}; charset=utf-8`;
  if (['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'application/pdf'].includes(contentType)) return contentType;
  return 'application/octet-stream';
}
