import { expect, fixture, html } from '@open-wc/testing';
import '../components/secure-inbox/secure-inbox.js';
import '../components/unread-badge/unread-badge.js';
import type { SecureInbox } from '../components/secure-inbox/secure-inbox.js';
import { defaultStrings, type Plural, type Strings } from '../internal/i18n.js';
import { shippedLanguages } from '../internal/languages.js';
import { acknowledgement, db, q, qa, text, until, useMocks, users } from '../internal/test/mocks.js';
import ar from './ar.js';
import de from './de.js';
import es from './es.js';
import fr from './fr.js';

const catalogues: Record<string, Partial<Strings>> = { de, fr, es, ar };
const placeholders = (template: string) => [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
const isPlural = (value: unknown): value is Plural => typeof value === 'object' && value !== null;

describe('shipped translations', () => {
  it('are the languages the elements load on demand', () => {
    expect(shippedLanguages.sort()).to.deep.equal(Object.keys(catalogues).sort());
  });

  for (const [language, strings] of Object.entries(catalogues)) {
    describe(language, () => {
      it('translates every key of the English catalogue, and no other', () => {
        const missing = Object.keys(defaultStrings).filter((key) => !(key in strings));
        const unknown = Object.keys(strings).filter((key) => !(key in defaultStrings));
        expect(missing, `${language} lacks these keys (English is shown for them)`).to.deep.equal([]);
        expect(unknown, `${language} has keys English does not`).to.deep.equal([]);
      });

      it('keeps every placeholder, and gives each count every plural category of the language', () => {
        const categories = new Intl.PluralRules(language).resolvedOptions().pluralCategories;
        for (const [key, english] of Object.entries(defaultStrings) as [keyof Strings, string | Plural][]) {
          const translated = strings[key];
          if (translated === undefined) continue;
          if (isPlural(english)) {
            expect(isPlural(translated), `${language}.${key} is a count`).to.equal(true);
            const forms = translated as Plural;
            expect(
              categories.filter((c) => !(c in forms)),
              `${language}.${key} lacks plural categories`,
            ).to.deep.equal([]);
            expect(placeholders(forms.other), `${language}.${key}.other`).to.deep.equal(placeholders(english.other));
            // A form for an exact number (Arabic "two") may spell the number out instead of `{count}`.
            for (const [category, form] of Object.entries(forms)) {
              for (const name of placeholders(form!)) expect(placeholders(english.other), `${language}.${key}.${category}`).to.include(name);
            }
          } else {
            expect(typeof translated, `${language}.${key}`).to.equal('string');
            expect(placeholders(translated as string), `${language}.${key}`).to.deep.equal(placeholders(english));
          }
        }
      });
    });
  }
});

const shownFolders = (el: SecureInbox) => [...el.shadowRoot!.querySelectorAll('[part~="folder"]')].map((b) => text(b.querySelector('.folder-name') ?? b));
const rowOf = (el: Element, subject: string) => qa(el, 'secure-conversation-list', '[part~="row"]').find((row) => text(row).includes(subject));
const translated = (el: SecureInbox, inbox: string) => until(() => shownFolders(el)[0] === inbox && rowOf(el, 'Inspection date'));

describe('<secure-inbox> in other languages', () => {
  useMocks();

  it('German: lang="de" loads the German strings; counts and dates follow the language', async () => {
    const el = await fixture<SecureInbox>(html`<secure-inbox lang="de" token="token-alice"></secure-inbox>`);
    await translated(el, 'Posteingang');
    expect(shownFolders(el)).to.deep.equal(['Posteingang', 'Gesendet', 'Papierkorb', 'Status']);
    expect(text(q(el, '[part~="unread-toggle"]')?.closest('label'))).to.equal('Nur ungelesene');
    const row = rowOf(el, 'Inspection date')!;
    expect(text(row.querySelector('[part~="unread-marker"]'))).to.equal('2 ungelesen');
    expect(text(row.querySelector('[part~="status"]'))).to.equal('Antwort nötig');
    // 1 March 2025 in German: day, month, year with dots (English would say "Mar 1, 2025").
    expect(text(row.querySelector('[part~="time"]'))).to.equal('01.03.2025');
    await expect(el).to.be.accessible();
  });

  it('Arabic: right to left, with the plural forms for two and for eleven', async () => {
    db.conversations.get('c-xss')!.unread = 11;
    const page = await fixture<HTMLElement>(html`<div lang="ar" dir="rtl"><secure-inbox token="token-alice"></secure-inbox></div>`);
    const el = page.querySelector('secure-inbox')!;
    await translated(el, 'البريد الوارد');
    expect(shownFolders(el)).to.deep.equal(['البريد الوارد', 'المرسلة', 'المهملات', 'الحالة']);
    expect(getComputedStyle(el.shadowRoot!.querySelector('[part~="base"]')!).direction).to.equal('rtl');
    expect(text(rowOf(el, 'Inspection date')!.querySelector('[part~="unread-marker"]'))).to.equal('رسالتان غير مقروءتين');
    expect(text(rowOf(el, 'Strange formatting')!.querySelector('[part~="unread-marker"]'))).to.equal('11 رسالة غير مقروءة');
    // Nine unread conversations in the Inbox: the "few" form (3 to 10).
    expect(text(el.shadowRoot!.querySelector('[part~="count"] .sr-only'))).to.equal('9 رسائل غير مقروءة');
    const time = rowOf(el, 'Inspection date')!.querySelector('time')!;
    const date = new Date(time.dateTime);
    expect(text(time)).to.equal(new Intl.DateTimeFormat('ar', { dateStyle: 'medium' }).format(date));
    expect(text(time)).not.to.equal(new Intl.DateTimeFormat('en', { dateStyle: 'medium' }).format(date));
    await expect(el).to.be.accessible();
  });

  it('Arabic: a badge on its own loads the strings too, and counts eleven with the "many" form', async () => {
    db.conversations.get('c-old-01')!.unread = 1;
    db.conversations.get('c-old-02')!.unread = 1;
    const page = await fixture<HTMLElement>(html`<div lang="ar" dir="rtl"><secure-unread-badge token="token-alice"></secure-unread-badge></div>`);
    const el = page.querySelector('secure-unread-badge')!;
    const spoken = () => text(el.shadowRoot!.querySelector('[part~="count"] .sr-only'));
    await until(() => spoken() === '11 رسالة غير مقروءة');
    expect(text(el.shadowRoot!.querySelector('[part~="badge-button"]'))).to.contain('الرسائل');
    await expect(el).to.be.accessible();
  });

  it('reply times, acknowledgements and "seen" in German and Arabic, with each language’s plural forms', async () => {
    const stored = db.conversations.get('c-permit')!;
    stored.conversation.status = 'open';
    stored.details.expectedReply = { amount: 2, unit: 'working_days' };
    stored.details.seen = { messageId: 'x', at: '2025-03-02T10:42:00Z', by: { name: 'Bauamt', team: true } };
    stored.messages.push(acknowledgement('c-permit', users.alice, 'Bauamt', 1, 'days'));
    const part = (el: Element, name: string) => text(q(el, 'secure-thread-view', `[part~="${name}"]`));
    const german = await fixture<SecureInbox>(html`<secure-inbox lang="de" token="token-alice" conversation="c-permit"></secure-inbox>`);
    await until(() => part(german, 'expected-reply') === 'Wir antworten in der Regel innerhalb von 2 Werktagen.');
    expect(part(german, 'acknowledgement')).to.equal('Ihre Frage ging an Bauamt. Wir antworten in der Regel innerhalb von 1 Tag.');
    expect(part(german, 'seen')).to.equal(
      `Gesehen vom Team Bauamt, ${new Intl.DateTimeFormat('de', { dateStyle: 'medium' }).format(new Date('2025-03-02T10:42:00Z'))}`,
    );
    expect(part(german, 'solve')).to.equal('Als gelöst markieren');
    // The list words the acknowledgement in the reader's language too, not in the server's English.
    const preview = (el: Element) => text(rowOf(el, 'Inspection date')?.querySelector('[part~="preview"]'));
    await until(() => preview(german) === 'Ihre Frage ging an Bauamt. Wir antworten in der Regel innerhalb von 1 Tag.');
    await expect(german).to.be.accessible();
    german.remove();

    stored.details.expectedReply = { amount: 3, unit: 'hours' };
    const page = await fixture<HTMLElement>(html`<div lang="ar" dir="rtl"><secure-inbox token="token-alice" conversation="c-permit"></secure-inbox></div>`);
    const arabic = page.querySelector('secure-inbox')!;
    // Three: the "few" form; one: a form that spells the number.
    await until(() => part(arabic, 'expected-reply') === 'نرد عادةً خلال 3 ساعات.');
    expect(part(arabic, 'acknowledgement')).to.equal('أُرسل سؤالك إلى Bauamt. نرد عادةً خلال يوم واحد.');
    await expect(arabic).to.be.accessible();
  });

  it('a key the language lacks is shown in English', async () => {
    const saved = de.searchButton;
    delete de.searchButton;
    try {
      const el = await fixture<SecureInbox>(html`<secure-inbox lang="de" token="token-alice"></secure-inbox>`);
      await translated(el, 'Posteingang');
      expect(text(q(el, '[part~="search-button"]'))).to.equal('Search');
      await expect(el).to.be.accessible();
    } finally {
      de.searchButton = saved;
    }
  });

  it('a host imports a catalogue as `strings`, and overrides single strings on top of a shipped language', async () => {
    const imported = await fixture<SecureInbox>(html`<secure-inbox locale="fr" token="token-alice" .strings=${fr}></secure-inbox>`);
    await translated(imported, 'Boîte de réception');
    expect(shownFolders(imported)).to.deep.equal(['Boîte de réception', 'Envoyés', 'Corbeille', 'Suivi']);
    imported.remove();

    const overridden = await fixture<SecureInbox>(html`<secure-inbox locale="es-MX" token="token-alice" .strings=${{ inbox: 'Recibidos' }}></secure-inbox>`);
    await translated(overridden, 'Recibidos');
    expect(shownFolders(overridden)).to.deep.equal(['Recibidos', 'Enviados', 'Papelera', 'Estado']);
    await expect(overridden).to.be.accessible();
  });

  it('a language without a shipped translation stays in English', async () => {
    const el = await fixture<SecureInbox>(html`<secure-inbox lang="nl" token="token-alice"></secure-inbox>`);
    await translated(el, 'Inbox');
    expect(shownFolders(el)).to.deep.equal(['Inbox', 'Sent', 'Trash', 'Status']);
  });
});
