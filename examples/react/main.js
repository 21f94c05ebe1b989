// <secure-inbox> in a React 19 app, without JSX (React.createElement), so no compiler plugin is needed.
// React 19 passes props to custom elements as properties when the element has them (tokenProvider, folder,
// conversation, strings) and turns `on<event-name>` props into event listeners for the element's own events.
import { createElement as h, StrictMode, useCallback, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import '../shared/app.css';
import { demoCustomers, loadElements, tokenProviderFor, widgetServer } from '../shared/embed.js';

const apiBase = await widgetServer();
await loadElements(apiBase);

function App() {
  const [userId, setUserId] = useState(new URLSearchParams(location.search).get('as') ?? demoCustomers[0].id);
  const [folder, setFolder] = useState('inbox');
  const [conversation, setConversation] = useState(undefined);
  const [hold, setHold] = useState(false);
  const [log, setLog] = useState([]);

  // A new function only when the user changes: the widget reloads when its token provider changes.
  const tokenProvider = useMemo(() => tokenProviderFor(userId), [userId]);
  const note = useCallback((name, text) => setLog((entries) => [{ name, text, at: Date.now() + Math.random() }, ...entries].slice(0, 12)), []);

  return h(
    'div',
    { className: 'app' },
    h(
      'header',
      null,
      h('h1', null, 'React host app'),
      h(
        'div',
        { className: 'controls' },
        h(
          'label',
          null,
          'Signed in as ',
          h(
            'select',
            {
              value: userId,
              onChange: (event) => {
                setUserId(event.target.value);
                setConversation(undefined);
              },
            },
            demoCustomers.map((u) => h('option', { key: u.id, value: u.id }, u.name)),
          ),
        ),
        h(
          'label',
          null,
          'Folder ',
          h(
            'select',
            { value: folder, onChange: (event) => setFolder(event.target.value), 'data-testid': 'folder' },
            ['inbox', 'sent', 'trash'].map((f) => h('option', { key: f, value: f }, f)),
          ),
        ),
        h('label', null, h('input', { type: 'checkbox', checked: hold, onChange: (event) => setHold(event.target.checked) }), ' Hold outgoing messages'),
        h('secure-unread-badge', { 'api-base': apiBase, tokenProvider, 'onsecure-conversation-open': (event) => setConversation(event.detail.id) }),
      ),
    ),
    h('secure-inbox', {
      'api-base': apiBase,
      tokenProvider,
      folder,
      conversation,
      // Translations or wording: any string of the catalogue.
      strings: { compose: 'Ask a question' },
      'onsecure-folder-change': (event) => {
        setFolder(event.detail.folder);
        note('secure-folder-change', event.detail.folder);
      },
      'onsecure-conversation-open': (event) => {
        setConversation(event.detail.id);
        note('secure-conversation-open', event.detail.id);
      },
      'onsecure-before-send': (event) => {
        // Cancelable: the host may veto a message (here, a simple switch).
        if (hold) event.preventDefault();
        note('secure-before-send', hold ? 'held by the app' : 'allowed');
      },
      'onsecure-sent': () => note('secure-sent', 'sent'),
      'onsecure-error': (event) => note('secure-error', event.detail.error?.message ?? 'error'),
    }),
    h(
      'aside',
      { className: 'side' },
      h('h2', null, 'Events the app received'),
      h('p', { 'data-testid': 'open-conversation' }, conversation ? `Open conversation: ${conversation}` : 'No conversation open'),
      h(
        'ul',
        { className: 'event-log', 'aria-live': 'polite' },
        log.map((entry) => h('li', { key: entry.at }, h('code', null, entry.name), ' ', entry.text)),
      ),
    ),
  );
}

createRoot(document.getElementById('root')).render(h(StrictMode, null, h(App)));
