import type { Role, StaffKind } from '@secure-inbox/protocol';
import { fmt, plural, type Strings } from './i18n.js';

const sameDay = (a: Date, b: Date) => a.toDateString() === b.toDateString();
const formats: Record<string, Intl.DateTimeFormat> = {};
const styles = { t: { timeStyle: 'short' }, d: { dateStyle: 'medium' }, f: { dateStyle: 'medium', timeStyle: 'short' } } as const;

const format = (date: Date, style: keyof typeof styles, locale?: string) =>
  (formats[style + (locale ?? '')] ??= new Intl.DateTimeFormat(locale, styles[style])).format(date);

/**
 * The language an element formats in: its own `locale` (or an enclosing element's), else the closest `lang`
 * attribute up the tree, across shadow roots; undefined (the browser's) when none is set or it is not a valid tag.
 */
export function localeOf(element: Element): string | undefined {
  for (let node: Node | null = element; node; node = node.parentNode ?? (node as ShadowRoot).host ?? null) {
    const tag = (node as { locale?: string }).locale || (node as HTMLElement).lang;
    if (tag) {
      try {
        return Intl.getCanonicalLocales(tag)[0];
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** Short: the time for today, the date otherwise. */
export function shortDate(iso: string, locale?: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return format(date, sameDay(date, new Date()) ? 't' : 'd', locale);
}

export function longDate(iso: string, locale?: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return format(date, 'f', locale);
}

export function fileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** Sender type for the flag colour: customers, staff (admins too), and support (staff the host's token names so). */
export type Flag = 'customer' | 'staff' | 'support';

export const flagOf = (who: { role?: Role; staffKind?: StaffKind }): Flag =>
  who.staffKind === 'support' ? 'support' : who.role === 'customer' ? 'customer' : 'staff';

export function flagLabel(t: Strings, who: { role?: Role; staffKind?: StaffKind }): string {
  const flag = flagOf(who);
  return flag === 'support' ? t.flagSupport : flag === 'staff' ? t.flagStaff : t.flagCustomer;
}

export function statusLabel(t: Strings, status: string): string {
  switch (status) {
    case 'open':
      return t.statusOpen;
    case 'attentive':
      return t.statusAttentive;
    case 'answered':
      return t.statusAnswered;
    case 'resolved':
      return t.statusResolved;
    default:
      return status;
  }
}

const replyUnits = { minutes: 'replyMinutes', hours: 'replyHours', days: 'replyDays', working_days: 'replyWorkingDays' } as const;

/** "We usually answer within 2 working days.", in the reader's language. */
export const replyTime = (t: Strings, time: { amount: number; unit: string }, locale?: string): string =>
  plural(t[replyUnits[time.unit as keyof typeof replyUnits] ?? 'replyDays'], time.amount, locale);

/** The acknowledgement of a new question, "Your question went to Hartley. We usually answer within 2 days.", in the reader's language. */
export const acknowledgementText = (t: Strings, sentTo: string, time: { amount: number; unit: string }, locale?: string): string =>
  `${fmt(t.questionSentTo, { name: sentTo })} ${replyTime(t, time, locale)}`;

/** The active element, looking through shadow roots. */
export function deepActiveElement(): Element | null {
  let active = document.activeElement;
  while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
  return active;
}
