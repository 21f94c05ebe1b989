// The host page's glue: the widget asks OUR backend for a token; our backend knows who is signed in from
// its own HttpOnly session cookie, which this script never touches.
const tokenProvider = async () => {
  const response = await fetch('/portal/secure-inbox-token', { credentials: 'same-origin' });
  if (response.status === 401) {
    // Our own session ended: back to our login page.
    location.assign('/');
    throw new Error('Signed out.');
  }
  if (!response.ok) throw new Error(`The portal could not issue a widget token (${response.status}).`);
  return response.text();
};

// Runs before the bundle (see the page's script order): the elements pick the property up when they upgrade.
for (const element of document.querySelectorAll('secure-inbox, secure-unread-badge')) element.tokenProvider = tokenProvider;

// A notification e-mail links here with ?conversation=<id>: open that thread.
const conversation = new URLSearchParams(location.search).get('conversation');
if (conversation) document.querySelector('secure-inbox')?.setAttribute('conversation', conversation);
