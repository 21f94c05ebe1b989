/** A real SMTP server, in-process, for the notification tests. */
import { simpleParser, type ParsedMail } from 'mailparser';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface Delivered {
  raw: string;
  mail: ParsedMail;
  to: string;
  messageId: string;
}

export interface TestSmtp {
  url: string;
  port: number;
  delivered: Delivered[];
  /** Answer the next DATA commands with this SMTP error code (e.g. 451, 554); null accepts. */
  rejectNext: (times: number, code: number) => void;
  close: () => Promise<void>;
}

/** Starts an SMTP server on 127.0.0.1 (on `port`, or a free one) that records what it accepts. */
export async function startSmtp(port = 0): Promise<TestSmtp> {
  const delivered: Delivered[] = [];
  let rejections = 0;
  let rejectCode = 451;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    closeTimeout: 500,
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (rejections > 0) {
          rejections--;
          callback(Object.assign(new Error('Not now, try again later'), { responseCode: rejectCode }));
          return;
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        simpleParser(raw).then(
          (mail) => {
            delivered.push({
              raw,
              mail,
              to: session.envelope.rcptTo.map((r) => r.address).join(','),
              messageId: mail.messageId ?? '',
            });
            callback();
          },
          (error: Error) => callback(error),
        );
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actual = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${actual}`,
    port: actual,
    delivered,
    rejectNext(times, code) {
      rejections = times;
      rejectCode = code;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export { freePort } from './helpers.js';

/** Everything a recipient could read in a delivered e-mail: subject, text part, HTML part, attachment names. */
export function readable(d: Delivered): string {
  return [d.mail.subject ?? '', d.mail.text ?? '', typeof d.mail.html === 'string' ? d.mail.html : '', ...d.mail.attachments.map((a) => a.filename ?? '')].join(
    '\n',
  );
}
