// The only script the branded portal pages load: what a host page writes to embed the message centre.
// Loaded as a module file (no inline script), so the pages run under a strict Content-Security-Policy.
//
// 1. Ask our own server where the widget server lives (a real portal would simply write the URL in its template).
// 2. Hand each element a tokenProvider that asks OUR backend for a fresh token (`/portal/secure-inbox-token`).
// 3. Load the bundle from the widget server: one ES module that registers <secure-inbox>, <secure-unread-badge>
//    and their parts.
//
// Who is signed in: the portal's own business. These pages take `?as=<demo user>` (or the page's `data-user`)
// and our backend turns it into a token; host-login/ shows the real thing, a session cookie on the host's origin.

const params = new URLSearchParams(location.search);
const { apiBase } = await (await fetch('/config.json')).json();

/** One token request at a time per user: the inbox and the badge share it. */
const pending = new Map();
const tokenProviderFor = (userId) => () => {
  if (!pending.has(userId)) {
    pending.set(
      userId,
      fetch(`/portal/secure-inbox-token?as=${encodeURIComponent(userId)}`)
        .then(async (response) => {
          if (!response.ok) throw new Error(await response.text());
          return response.text();
        })
        .finally(() => pending.delete(userId)),
    );
  }
  return pending.get(userId);
};

// Each element may act as its own user (the side-by-side index page does); otherwise the page's user.
const pageUser = params.get('as') ?? document.body.dataset.user;
for (const element of document.querySelectorAll('secure-inbox, secure-unread-badge')) {
  const scope = element.closest('[data-user]');
  const userId = scope === document.body ? pageUser : (scope?.dataset.user ?? pageUser);
  element.setAttribute('api-base', apiBase);
  element.tokenProvider = tokenProviderFor(userId);
}

// Loaded after the elements have their token provider, so their first request already carries a token.
// (Properties set before the upgrade are kept by the elements.)
await import(`${apiBase}/secure-inbox.js`);

// Deep link: a notification e-mail's link carries ?conversation=<id>.
const inbox = document.querySelector('secure-inbox');
const conversation = params.get('conversation');
if (inbox && conversation) inbox.setAttribute('conversation', conversation);

// "Ask about this permit": opens New message about a record of the portal (kind, ref, title, url), with a subject and
// topic filled in. The conversation is tied to the record, and its thread links back to it.
for (const button of document.querySelectorAll('[data-about-kind]')) {
  const { aboutKind: kind, aboutRef: ref, aboutTitle: title, aboutUrl: url, aboutSubject: subject, aboutTopic: topicId } = button.dataset;
  const target = button.closest('secure-inbox') ?? inbox;
  button.addEventListener('click', () => target?.openCompose({ context: { kind, ref, title, url }, subject, topicId }));
}

// The header badge opens conversations in the message centre on the same page.
for (const badge of document.querySelectorAll('secure-unread-badge')) {
  badge.addEventListener('secure-conversation-open', (event) => {
    const target = badge.closest('[data-user]')?.querySelector('secure-inbox') ?? inbox;
    if (target && typeof event.detail?.id === 'string') target.setAttribute('conversation', event.detail.id);
  });
  badge.addEventListener('secure-view-all', () => inbox?.scrollIntoView({ behavior: 'smooth' }));
}

// Dark mode: `auto` follows the operating system (prefers-color-scheme); the buttons force light or dark.
// The widget reads its `theme` attribute; the page's own CSS reads the same value from <html data-theme>.
const themeButtons = document.querySelectorAll('[data-theme-choice]');
const applyTheme = (theme) => {
  document.documentElement.dataset.theme = theme;
  for (const element of document.querySelectorAll('secure-inbox, secure-unread-badge')) element.setAttribute('theme', theme);
  for (const button of themeButtons) button.setAttribute('aria-pressed', String(button.dataset.themeChoice === theme));
};
for (const button of themeButtons) button.addEventListener('click', () => applyTheme(button.dataset.themeChoice));
applyTheme(['light', 'dark', 'auto'].includes(params.get('theme')) ? params.get('theme') : 'auto');
