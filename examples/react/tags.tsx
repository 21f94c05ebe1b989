// The `<secure-*>` tags written in JSX directly, typed by `@secure-inbox/elements/jsx` (React 19 sets a prop as a
// property when the element has one). Not part of the app: `pnpm typecheck` compiles it, so a typing that stops
// accepting these props, or starts accepting the wrong ones (the `@ts-expect-error` lines), fails the check.
import type {} from '@secure-inbox/elements/jsx';
import type { TokenProvider } from '@secure-inbox/elements';

export function Tags({ apiBase, tokenProvider }: { apiBase: string; tokenProvider: TokenProvider }) {
  return (
    <>
      <secure-inbox
        api-base={apiBase}
        tokenProvider={tokenProvider}
        folder="sent"
        theme="dark"
        locale="de-CH"
        strings={{ compose: 'Ask a question' }}
        onsecure-ready={(event) => console.log(event.detail.folder, event.detail.conversations)}
        onsecure-before-send={(event) => event.preventDefault()}
      />
      <secure-unread-badge api-base={apiBase} token="a.b.c" href="/portal/messages" class="badge" />
      <secure-conversation-list folder="trash" unreadOnly limit={10} />
      <secure-thread-view conversationId="c-1" />
      <secure-tip-popover tip="Check the fee schedule first." />

      {/* @ts-expect-error: not a folder */}
      <secure-inbox folder="spam" />
      {/* @ts-expect-error: not a colour scheme */}
      <secure-inbox theme="sepia" />
      {/* @ts-expect-error: the token provider is a function */}
      <secure-inbox tokenProvider="a.b.c" />
      {/* @ts-expect-error: no such string in the catalogue */}
      <secure-inbox strings={{ composeButton: 'Write' }} />
      {/* @ts-expect-error: secure-folder-change carries a folder, not an id */}
      <secure-inbox onsecure-folder-change={(event) => event.detail.id} />
      {/* @ts-expect-error: not an element of Secure Inbox */}
      <secure-mailbox />
    </>
  );
}
