// The demo portal's glue: what a host page writes to embed the message centre.
// The signed-in demo user comes from the page (the server rendered it from ?as=); no cookies, no storage.
const userId = document.body.dataset.user;

if (userId) {
  let pending = null;
  // A fresh token from the demo server; concurrent callers (inbox and badge) share one request.
  const tokenProvider = () =>
    (pending ??= fetch('/demo/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId }),
    })
      .then(async (response) => {
        if (!response.ok) throw new Error(`The demo server refused a token (${response.status}).`);
        return (await response.json()).token;
      })
      .finally(() => {
        pending = null;
      }));

  const inbox = document.querySelector('secure-inbox');
  const badge = document.querySelector('secure-unread-badge');

  for (const [tag, element] of [
    ['secure-inbox', inbox],
    ['secure-unread-badge', badge],
  ]) {
    if (element) customElements.whenDefined(tag).then(() => (element.tokenProvider = tokenProvider));
  }

  // The badge's drop-down opens a conversation in the message centre on the same page.
  badge?.addEventListener('secure-conversation-open', (event) => {
    const id = event.detail?.conversationId ?? event.detail?.id;
    if (inbox && typeof id === 'string') inbox.setAttribute('conversation', id);
  });

  // Keep the address bar a deep link to what is shown (?as=…&conversation=…).
  if (inbox) {
    new MutationObserver(() => {
      const url = new URL(location.href);
      const id = inbox.getAttribute('conversation');
      if (id) url.searchParams.set('conversation', id);
      else url.searchParams.delete('conversation');
      if (url.href !== location.href) history.replaceState(null, '', url);
    }).observe(inbox, { attributes: true, attributeFilter: ['conversation'] });
  }

  // Say so plainly when the widget bundle has not been built.
  fetch('/secure-inbox.js', { method: 'HEAD' }).then((response) => {
    if (!response.ok) document.querySelector('.bundle-missing')?.removeAttribute('hidden');
  });
}
