import { localeOf } from './format.js';
import { defaultStrings, type Strings } from './i18n.js';

/**
 * The translations shipped beside English, each its own module, loaded only when an element's language asks for
 * it: a page in English never fetches one. The bundle served by the BFF finds them beside itself
 * (`/secure-inbox/locales/<lang>.js`); a host's bundler splits them out of the npm package the same way.
 */
const shipped: Record<string, () => Promise<{ default: Partial<Strings> }>> = {
  de: () => import('../locales/de.js'),
  fr: () => import('../locales/fr.js'),
  es: () => import('../locales/es.js'),
  ar: () => import('../locales/ar.js'),
};

export const shippedLanguages = Object.keys(shipped);

const loaded: Record<string, Partial<Strings> | Promise<unknown>> = {};

/** The shipped language an element's `locale` or `lang` names (`de-CH` → `de`), if any. */
export function shippedLanguageOf(element: Element): string | undefined {
  const locale = localeOf(element);
  const language = locale && new Intl.Locale(locale).language;
  return language && language in shipped ? language : undefined;
}

const complete = new WeakMap<object, boolean>();

/** True when `strings` names every key, as a host that imported a catalogue (and maybe changed some) gives it. */
export function isComplete(strings: Partial<Strings> | undefined): boolean {
  if (!strings) return false;
  let answer = complete.get(strings);
  if (answer === undefined) complete.set(strings, (answer = Object.keys(defaultStrings).every((key) => key in strings)));
  return answer;
}

const waiting: Record<string, Set<{ requestUpdate(): void }>> = {};

/**
 * The catalogue of `language` when it has arrived; otherwise starts loading it (once per page) and updates
 * `element` when it is there. A catalogue that cannot be loaded leaves the English text in place.
 */
export function catalogue(language: string, element: { requestUpdate(): void }): Partial<Strings> | undefined {
  const entry = loaded[language];
  if (entry && !(entry instanceof Promise)) return entry;
  (waiting[language] ??= new Set()).add(element);
  loaded[language] ??= shipped[language]!()
    .then(
      (module) => (loaded[language] = module.default),
      (error: unknown) => {
        loaded[language] = {};
        console.warn(`Secure Inbox: the ${language} strings could not be loaded; showing English.`, error);
      },
    )
    .then(() => {
      for (const waiter of waiting[language] ?? []) waiter.requestUpdate();
      delete waiting[language];
    });
  return undefined;
}
