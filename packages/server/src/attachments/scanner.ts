/**
 * Virus scanning of uploads. "none" (the default) marks every upload clean; with
 * SECURE_INBOX_CLAMD_URL=tcp://host:3310 the bytes are streamed to ClamAV's clamd with its INSTREAM
 * command. A scanner that fails (clamd down, too slow, a size limit) throws: the upload then stays
 * `pending` and is scanned again when someone asks for it.
 */
import { connect } from 'node:net';
import type { Readable } from 'node:stream';

export type ScanVerdict = { infected: false } | { infected: true; signature: string };

export interface Scanner {
  readonly name: string;
  /** Reads the bytes to their end (or destroys the stream) and says whether they carry malware. */
  scan(bytes: Readable): Promise<ScanVerdict>;
}

export const noScanner: Scanner = {
  name: 'none',
  async scan(bytes) {
    bytes.destroy();
    return { infected: false };
  },
};

/** clamd limits one INSTREAM chunk; file streams read 64 KiB at a time, well below it. */
const CHUNK_BYTES = 64 * 1024;

/**
 * A clamd client over TCP: `zINSTREAM\0`, then chunks of `<uint32 length><bytes>`, then a zero length;
 * the answer is `stream: OK`, `stream: <signature> FOUND` or an error.
 */
export function clamdScanner(url: string, timeoutMs = 30_000): Scanner {
  const parsed = new URL(url);
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  const port = Number(parsed.port || 3310);

  return {
    name: 'clamd',
    scan(bytes) {
      return new Promise<ScanVerdict>((resolve, reject) => {
        const socket = connect({ host, port });
        const reply: Buffer[] = [];
        let settled = false;
        const settle = (fn: () => void) => {
          if (settled) return;
          settled = true;
          socket.destroy();
          bytes.destroy();
          fn();
        };
        const fail = (error: Error) => settle(() => reject(error));
        socket.setTimeout(timeoutMs, () => fail(new Error(`clamd at ${host}:${port} did not answer within ${timeoutMs} ms`)));
        socket.on('error', fail);
        bytes.on('error', fail);
        socket.on('data', (chunk: Buffer) => reply.push(chunk));
        socket.on('close', () => {
          const answer = Buffer.concat(reply).toString('utf8').replace(/\0/g, '').trim();
          if (answer === 'stream: OK') return settle(() => resolve({ infected: false }));
          const found = /^stream: (.+) FOUND$/.exec(answer);
          if (found) return settle(() => resolve({ infected: true, signature: found[1]! }));
          fail(new Error(`clamd answered "${answer || '(nothing)'}"`));
        });
        socket.once('connect', async () => {
          try {
            socket.write('zINSTREAM\0');
            for await (const data of bytes as AsyncIterable<Buffer>) {
              for (let at = 0; at < data.length && !settled; at += CHUNK_BYTES) {
                const part = data.subarray(at, at + CHUNK_BYTES);
                const length = Buffer.alloc(4);
                length.writeUInt32BE(part.length);
                socket.write(length);
                if (!socket.write(part)) {
                  await new Promise<void>((done) => {
                    socket.once('drain', done);
                    socket.once('close', done);
                  });
                }
              }
              if (settled) return;
            }
            socket.end(Buffer.alloc(4));
          } catch (error) {
            fail(error instanceof Error ? error : new Error(String(error)));
          }
        });
      });
    },
  };
}

/** The scanner the configuration asks for. */
export function scannerFor(clamdUrl: string | undefined): Scanner {
  return clamdUrl ? clamdScanner(clamdUrl) : noScanner;
}
