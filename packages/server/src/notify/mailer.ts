/**
 * Where notification e-mails go: an SMTP server (SECURE_INBOX_SMTP_URL) through nodemailer, or, when
 * none is configured, `.eml` files under `<dataDir>/outbox/` (the embedded default).
 */
import nodemailer from 'nodemailer';
import SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface OutgoingMail {
  from: string;
  to: { name: string; address: string };
  /** Stable per outbox batch: a resent notice carries the same id, so mail stores recognise it. */
  messageId: string;
  subject: string;
  html: string;
  text: string;
}

export interface Mailer {
  /** Resolves once the server accepted the message (or the file is written); rejects otherwise. */
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

/** An error the worker should not retry forever: the server refused the message itself (5xx). */
export function isPermanentMailError(error: unknown): boolean {
  const code = (error as { responseCode?: unknown })?.responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}

function message(mail: OutgoingMail) {
  return {
    from: mail.from,
    to: mail.to,
    subject: mail.subject,
    html: mail.html,
    text: mail.text,
    messageId: mail.messageId,
    headers: { 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'All' },
  };
}

export function smtpMailer(url: string): Mailer {
  const transport = nodemailer.createTransport(
    new SMTPPool({ pool: true, url, maxConnections: 2, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 }),
  );
  return {
    async send(mail) {
      await transport.sendMail(message(mail));
    },
    close() {
      transport.close();
    },
  };
}

/** Writes each notice as `<dir>/<message id>.eml`; a resent notice overwrites its own file. */
export function fileMailer(dir: string): Mailer {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  let made = false;
  return {
    async send(mail) {
      if (!made) {
        mkdirSync(dir, { recursive: true });
        made = true;
      }
      const info = await transport.sendMail(message(mail));
      const name = mail.messageId.replace(/[<>]/g, '').replace(/[^A-Za-z0-9._-]/g, '_');
      const file = join(dir, `${name}.eml`);
      writeFileSync(`${file}.tmp`, info.message as Buffer);
      renameSync(`${file}.tmp`, file);
    },
    close() {
      transport.close();
    },
  };
}

export function mailerFor(config: { smtpUrl: string | undefined; dataDir: string }): Mailer {
  return config.smtpUrl ? smtpMailer(config.smtpUrl) : fileMailer(join(config.dataDir, 'outbox'));
}
