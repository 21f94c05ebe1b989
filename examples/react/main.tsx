// <secure-inbox> in a React 19 app through @secure-inbox/react: a component per element, typed props (set as
// properties, so `tokenProvider` and `strings` pass as they are) and an `onSecure…` prop per event with its typed
// `detail`. Importing @secure-inbox/react registers the elements, bundled into this app by Vite; only the API calls go
// to the widget server. Vite compiles the JSX itself (tsconfig.json: "jsx": "react-jsx"); no plugin is needed.
import { StrictMode, useCallback, useMemo, useState, type ChangeEvent } from 'react';
import { createRoot } from 'react-dom/client';
import { SecureInbox, SecureUnreadBadge } from '@secure-inbox/react';
import type { SecureEventDetails } from '@secure-inbox/elements';
import '../shared/app.css';
import { demoCustomers, tokenProviderFor, widgetServer } from '../shared/embed.js';

const apiBase = await widgetServer();

type Folder = SecureEventDetails['secure-folder-change']['folder'];

interface LogEntry {
  name: string;
  text: string;
  at: number;
}

function App() {
  const [userId, setUserId] = useState(new URLSearchParams(location.search).get('as') ?? demoCustomers[0].id);
  const [folder, setFolder] = useState<Folder>('inbox');
  const [conversation, setConversation] = useState<string | undefined>(undefined);
  const [hold, setHold] = useState(false);
  const [log, setLog] = useState<LogEntry[]>([]);

  // A new function only when the user changes: the widget reloads when its token provider changes.
  const tokenProvider = useMemo(() => tokenProviderFor(userId), [userId]);
  const note = useCallback((name: string, text: string) => setLog((entries) => [{ name, text, at: Date.now() + Math.random() }, ...entries].slice(0, 12)), []);

  return (
    <div className="app">
      <header>
        <h1>React host app</h1>
        <div className="controls">
          <label>
            Signed in as{' '}
            <select
              value={userId}
              onChange={(event: ChangeEvent<HTMLSelectElement>) => {
                setUserId(event.target.value);
                setConversation(undefined);
              }}
            >
              {demoCustomers.map((u) => (
                <option key={u.id} value={u.id}>
                  {u.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            Folder{' '}
            <select value={folder} onChange={(event) => setFolder(event.target.value as Folder)} data-testid="folder">
              {(['inbox', 'sent', 'trash'] as const).map((f) => (
                <option key={f} value={f}>
                  {f}
                </option>
              ))}
            </select>
          </label>
          <label>
            <input type="checkbox" checked={hold} onChange={(event) => setHold(event.target.checked)} /> Hold outgoing messages
          </label>
          <SecureUnreadBadge apiBase={apiBase} tokenProvider={tokenProvider} onSecureConversationOpen={(event) => setConversation(event.detail.id)} />
        </div>
      </header>
      <SecureInbox
        apiBase={apiBase}
        tokenProvider={tokenProvider}
        folder={folder}
        conversation={conversation}
        // Translations or wording: any string of the catalogue.
        strings={{ compose: 'Ask a question' }}
        onSecureReady={(event) => note('secure-ready', `${event.detail.conversations} in ${event.detail.folder}`)}
        onSecureFolderChange={(event) => {
          setFolder(event.detail.folder);
          note('secure-folder-change', event.detail.folder);
        }}
        onSecureConversationOpen={(event) => {
          setConversation(event.detail.id);
          note('secure-conversation-open', event.detail.id);
        }}
        onSecureBeforeSend={(event) => {
          // Cancelable: the host may veto a message (here, a simple switch).
          if (hold) event.preventDefault();
          note('secure-before-send', hold ? 'held by the app' : 'allowed');
        }}
        onSecureSent={() => note('secure-sent', 'sent')}
        onSecureError={(event) => note('secure-error', event.detail.error.message)}
      />
      <aside className="side">
        <h2>Events the app received</h2>
        <p data-testid="open-conversation">{conversation ? `Open conversation: ${conversation}` : 'No conversation open'}</p>
        <ul className="event-log" aria-live="polite">
          {log.map((entry) => (
            <li key={entry.at}>
              <code>{entry.name}</code> {entry.text}
            </li>
          ))}
        </ul>
      </aside>
    </div>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
