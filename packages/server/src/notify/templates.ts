/**
 * Notification e-mail templates (Mustache). Each mode has a subject, an HTML part and a text part.
 * A deployment may replace any of them by putting a file of the same name in the directory named by
 * SECURE_INBOX_MAIL_TEMPLATES (`secure.subject.txt`, `secure.html`, `secure.txt`, `full.subject.txt`, `full.html`, `full.txt`).
 *
 * The secure mode's view carries no subject, body, author or attachment names at all, so not even a
 * custom template can put them into an e-mail.
 */
import Mustache from 'mustache';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, type NotifyMode } from '../config.js';

export type TemplateName = `${NotifyMode}.${'subject.txt' | 'html' | 'txt'}`;

const layout = (content: string) => `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>{{title}}</title></head>
<body style="margin:0;padding:24px;background:#f4f5f7;font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#1d2330">
<div style="max-width:560px;margin:0 auto;background:#ffffff;border-radius:8px;padding:24px">
${content}
</div>
</body>
</html>
`;

export const defaultTemplates: Record<TemplateName, string> = {
  'secure.subject.txt': '{{#several}}{{count}} secure messages are waiting for you{{/several}}{{^several}}A secure message is waiting for you{{/several}}',
  'secure.html': layout(`<p>Hello {{recipientName}},</p>
<p>{{#several}}{{count}} secure messages are waiting for you.{{/several}}{{^several}}A secure message is waiting for you.{{/several}}
For your security we do not send its content by e-mail. Please sign in to read it.</p>
{{#links}}
<p><a href="{{url}}" style="display:inline-block;padding:10px 16px;background:#1f5fbf;color:#ffffff;border-radius:6px;text-decoration:none">Read the secure message</a></p>
{{/links}}
<p style="color:#5b6270;font-size:13px">You receive this notice because you take part in a secure conversation.</p>`),
  'secure.txt': `Hello {{recipientName}},

{{#several}}{{count}} secure messages are waiting for you.{{/several}}{{^several}}A secure message is waiting for you.{{/several}}
For your security we do not send its content by e-mail. Please sign in to read it:
{{#links}}
{{url}}
{{/links}}

You receive this notice because you take part in a secure conversation.
`,
  'full.subject.txt': '{{#several}}{{count}} new messages{{/several}}{{^several}}{{#items}}{{subject}}{{/items}}{{/several}}',
  'full.html': layout(`<p>Hello {{recipientName}},</p>
{{#items}}
<div style="border-top:1px solid #e3e6eb;padding-top:12px;margin-top:12px">
<p style="margin:0 0 4px"><strong>{{authorName}}</strong> in <strong>{{subject}}</strong></p>
<p style="margin:0 0 8px;color:#5b6270;font-size:13px">{{reasonText}}</p>
<div>{{{html}}}</div>
<p><a href="{{url}}">Open the conversation</a></p>
</div>
{{/items}}`),
  'full.txt': `Hello {{recipientName}},
{{#items}}

{{authorName}} in "{{subject}}" ({{reasonText}}):

{{text}}

Open the conversation: {{url}}
{{/items}}
`,
};

export interface SecureView {
  recipientName: string;
  count: number;
  several: boolean;
  title: string;
  links: { url: string }[];
}

export interface FullItem {
  subject: string;
  authorName: string;
  reasonText: string;
  /** Sanitized HTML of the message (already cleaned on write). */
  html: string;
  text: string;
  url: string;
}

export interface FullView {
  recipientName: string;
  count: number;
  several: boolean;
  title: string;
  items: FullItem[];
}

export interface RenderedMail {
  subject: string;
  html: string;
  text: string;
}

const noEscape = (value: unknown) => String(value);
const htmlEscapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (value: unknown) => String(value).replace(/[&<>"']/g, (ch) => htmlEscapes[ch]!);

export class Templates {
  private readonly templates: Record<TemplateName, string>;

  /** `dir`: an optional directory whose files replace the defaults of the same name. */
  constructor(dir?: string, overrides: Partial<Record<TemplateName, string>> = {}) {
    const fromDir: Partial<Record<TemplateName, string>> = {};
    if (dir && !existsSync(dir)) {
      throw new ConfigError(
        `SECURE_INBOX_MAIL_TEMPLATES names ${dir}, which does not exist; create it or unset the variable to use the built-in e-mail templates.`,
      );
    }
    if (dir) {
      for (const name of Object.keys(defaultTemplates) as TemplateName[]) {
        const file = join(dir, name);
        if (existsSync(file)) fromDir[name] = readFileSync(file, 'utf8');
      }
    }
    this.templates = { ...defaultTemplates, ...fromDir, ...overrides };
    for (const [name, template] of Object.entries(this.templates)) {
      try {
        Mustache.parse(template);
      } catch (error) {
        throw new ConfigError(`The e-mail template ${name} cannot be parsed (${(error as Error).message}); fix it in SECURE_INBOX_MAIL_TEMPLATES.`);
      }
    }
  }

  render(mode: 'secure', view: SecureView): RenderedMail;
  render(mode: 'full', view: FullView): RenderedMail;
  render(mode: NotifyMode, view: SecureView | FullView): RenderedMail {
    const subject = Mustache.render(this.templates[`${mode}.subject.txt`], view, {}, { escape: noEscape })
      .replace(/[\r\n]+/g, ' ')
      .trim();
    return {
      subject,
      html: Mustache.render(this.templates[`${mode}.html`], { ...view, title: subject }, {}, { escape: escapeHtml }),
      text: Mustache.render(this.templates[`${mode}.txt`], view, {}, { escape: noEscape }),
    };
  }
}
