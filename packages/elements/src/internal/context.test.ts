import { ContextConsumer, ContextProvider, ContextRoot, createContext } from '@lit/context';
import { expect, fixture, html } from '@open-wc/testing';
import { LitElement } from 'lit';
import '../components/secure-inbox/secure-inbox.js';
import type { SecureInbox } from '../components/secure-inbox/secure-inbox.js';
import '../components/unread-badge/unread-badge.js';
import type { SecureUnreadBadge } from '../components/unread-badge/unread-badge.js';
import { provide, secureInboxContext, type Provided } from './context.js';
import { mergeStrings } from './i18n.js';
import { Session } from './session.js';
import { requestsTo, until, useMocks } from './test/mocks.js';

// How a host page names the context: its own `createContext`, with the key alone.
const hostContext = createContext<Provided>('secure-inbox');
const otherContext = createContext<string>('host-theme');

/** A host's element reading what `<secure-inbox>` provides, and the host's own context, through `@lit/context`. */
class HostReader extends LitElement {
  provided = new ContextConsumer(this, { context: hostContext, subscribe: true });
  other = new ContextConsumer(this, { context: otherContext, subscribe: true });
}
customElements.define('host-reader', HostReader);

/** A host's element providing a session and strings to what is inside it, through `@lit/context`. */
class HostProvider extends LitElement {
  provider = new ContextProvider(this, { context: hostContext });
  themes = new ContextProvider(this, { context: otherContext, initialValue: 'dark' });
  override render() {
    return html`<slot></slot>`;
  }
}
customElements.define('host-provider', HostProvider);

describe('the context (Context Community Protocol)', () => {
  useMocks();

  it('is the key a host names with createContext', () => {
    expect(secureInboxContext).to.equal(hostContext);
  });

  it('answers a @lit/context consumer inside <secure-inbox>, and again after every change', async () => {
    const outer = await fixture<HostProvider>(
      html`<host-provider><secure-inbox token="token-alice"><host-reader slot="footer"></host-reader></secure-inbox></host-provider>`,
    );
    const inbox = outer.querySelector<SecureInbox>('secure-inbox')!;
    const reader = outer.querySelector<HostReader>('host-reader')!;
    await inbox.updateComplete;
    expect(reader.provided.value?.session).to.be.instanceOf(Session);
    expect(reader.provided.value?.session).to.equal((inbox as unknown as { session: Session }).session);
    expect(reader.provided.value?.strings?.retry).to.equal('Retry');
    // Another context's request goes past <secure-inbox> to its provider.
    expect(reader.other.value).to.equal('dark');

    inbox.strings = { retry: 'Try again' };
    await inbox.updateComplete;
    expect(reader.provided.value?.strings?.retry).to.equal('Try again');
    inbox.strings = { retry: 'Again' };
    await inbox.updateComplete;
    expect(reader.provided.value?.strings?.retry).to.equal('Again');

    // Released when the consumer leaves: no more answers.
    reader.remove();
    inbox.strings = { retry: 'Once more' };
    await inbox.updateComplete;
    expect(reader.provided.value?.strings?.retry).to.equal('Again');
  });

  it("serves <secure-inbox>'s elements from a @lit/context provider, and follows its changes", async () => {
    const session = new Session(undefined, { token: 'token-alice' });
    const outer = await fixture<HostProvider>(html`<host-provider></host-provider>`);
    outer.provider.setValue({ session, strings: mergeStrings(undefined, { unreadOnly: 'Only unread' }) });
    const badge = document.createElement('secure-unread-badge') as SecureUnreadBadge;
    outer.append(badge);
    await badge.updateComplete;
    // The badge, without credentials of its own, follows the provided session.
    expect(badge.session).to.equal(session);
    expect(badge.t.unreadOnly).to.equal('Only unread');
    await until(() => requestsTo('/me').length);
    expect(requestsTo('/me')[0].auth).to.equal('Bearer token-alice');

    outer.provider.setValue({ session, strings: mergeStrings(undefined, { unreadOnly: 'Unread ones' }) });
    expect(badge.t.unreadOnly).to.equal('Unread ones');

    // Released when the element leaves: no more answers.
    badge.remove();
    outer.provider.setValue({ session, strings: mergeStrings(undefined, { unreadOnly: 'Gone' }) });
    expect(badge.t.unreadOnly).to.equal('Unread ones');
  });

  it('leaves the outer provider when a nearer one takes over', async () => {
    const session = new Session(undefined, { token: 'token-alice' });
    const outer = await fixture<HostProvider>(html`<host-provider><late-host-provider></late-host-provider></host-provider>`);
    outer.provider.setValue({ session, strings: mergeStrings(undefined, { unreadOnly: 'Outer' }) });
    const badge = document.createElement('secure-unread-badge') as SecureUnreadBadge;
    outer.firstElementChild!.append(badge);
    expect(badge.t.unreadOnly).to.equal('Outer');

    // Defined now, the nearer provider announces itself; the outer one hands the badge's request on to it.
    customElements.define('late-host-provider', class extends HostProvider {});
    const inner = outer.firstElementChild as HostProvider;
    inner.provider.setValue({ session, strings: mergeStrings(undefined, { unreadOnly: 'Inner' }) });
    expect(badge.t.unreadOnly).to.equal('Inner');
    outer.provider.setValue({ session, strings: mergeStrings(undefined, { unreadOnly: 'Outer again' }) });
    expect(badge.t.unreadOnly).to.equal('Inner');
  });

  it('announces itself, so a context root repeats the requests sent before it was defined', async () => {
    const root = await fixture<HTMLDivElement>(html`<div><late-provider><host-reader></host-reader></late-provider></div>`);
    new ContextRoot().attach(root);
    const reader = root.querySelector<HostReader>('host-reader')!;
    reader.remove();
    root.firstElementChild!.append(reader); // its request, unanswered, is kept by the root
    expect(reader.provided.value).to.equal(undefined);

    const session = new Session();
    class LateProvider extends LitElement {
      share = provide(this, () => ({ session }));
    }
    customElements.define('late-provider', LateProvider);
    expect(reader.provided.value?.session).to.equal(session);
  });
});
