import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { asciiFallback, cleanFileName, contentDisposition, withExtension } from '../src/attachments/names.js';

describe('attachment file names', () => {
  it('are cleaned of paths, dot-dot, controls and bidi overrides, and never empty', () => {
    expect(cleanFileName('../../etc/passwd')).toBe('passwd');
    expect(cleanFileName('C:\\Users\\me\\report.pdf')).toBe('report.pdf');
    expect(cleanFileName('a\r\nb\t.txt')).toBe('ab.txt');
    expect(cleanFileName('bill\u202Efdp.exe')).toBe('billfdp.exe');
    expect(cleanFileName('x\u2066y\u2069.txt')).toBe('xy.txt');
    expect(cleanFileName('my..file...txt')).toBe('my.file.txt');
    expect(cleanFileName('  .hidden  ')).toBe('hidden');
    expect(cleanFileName('..')).toBe('attachment');
    expect(cleanFileName('')).toBe('attachment');
    expect(cleanFileName(undefined)).toBe('attachment');
    expect(cleanFileName(`${'é'.repeat(250)}.docx`)).toBe(`${'é'.repeat(195)}.docx`);
  });

  it('get the extension of the type found in the bytes', () => {
    expect(withExtension('x.pdf.html', ['pdf'])).toBe('x.pdf');
    expect(withExtension('photo', ['png'])).toBe('photo.png');
    expect(withExtension('photo.JPEG', ['jpg', 'jpeg'])).toBe('photo.JPEG');
    expect(withExtension('run.sh', ['txt', 'log'])).toBe('run.txt');
  });

  it('go into Content-Disposition as an RFC 6266 attachment with an ASCII fallback', () => {
    expect(contentDisposition('Résumé (final).pdf')).toBe(`attachment; filename="Resume (final).pdf"; filename*=UTF-8''R%C3%A9sum%C3%A9%20%28final%29.pdf`);
    expect(contentDisposition('a"b\\c;d%e.txt')).toBe(`attachment; filename="a_b_c_d_e.txt"; filename*=UTF-8''a%22b%5Cc%3Bd%25e.txt`);
    expect(asciiFallback('日本語.pdf')).toBe('attachment.pdf');
  });

  it('never carry a control, bidi or path character, and never break a header', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (raw) => {
        const name = cleanFileName(raw);
        expect(name.length).toBeGreaterThan(0);
        expect(Array.from(name).length).toBeLessThanOrEqual(200);
        expect(name).not.toMatch(/[\p{Cc}\u202A-\u202E\u2066-\u2069/\\]/u);
        expect(name).not.toContain('..');
        expect(name).toBe(name.trim());
        const header = contentDisposition(name);
        expect(header).toMatch(/^attachment; filename="[\x20\x21\x23-\x5B\x5D-\x7E]*"; filename\*=UTF-8''[A-Za-z0-9!#$&+\-.^_`|~%]+$/);
      }),
      { numRuns: 200 },
    );
  });
});
