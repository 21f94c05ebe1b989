// <secure-inbox> in a Vue 3 app with render functions (h), so no SFC compiler is needed.
// Vue sets props on custom elements as DOM properties when the element has them (tokenProvider, folder,
// conversation, strings); `onSecureConversationOpen` listens to the element's `secure-conversation-open` event.
import { computed, createApp, h, ref } from 'vue';
import '../shared/app.css';
import { demoCustomers, loadElements, tokenProviderFor, widgetServer } from '../shared/embed.js';

const apiBase = await widgetServer();
await loadElements(apiBase);

const App = {
  setup() {
    const userId = ref(new URLSearchParams(location.search).get('as') ?? demoCustomers[0].id);
    const folder = ref('inbox');
    const conversation = ref(undefined);
    const log = ref([]);
    const tokenProvider = computed(() => tokenProviderFor(userId.value));
    const note = (name, text) => (log.value = [{ name, text, at: Date.now() + Math.random() }, ...log.value].slice(0, 12));

    return () =>
      h('div', { class: 'app' }, [
        h('header', [
          h('h1', 'Vue host app'),
          h('div', { class: 'controls' }, [
            h('label', [
              'Signed in as ',
              h(
                'select',
                {
                  value: userId.value,
                  onChange: (event) => {
                    userId.value = event.target.value;
                    conversation.value = undefined;
                  },
                },
                demoCustomers.map((u) => h('option', { key: u.id, value: u.id }, u.name)),
              ),
            ]),
            h('label', [
              'Theme ',
              h('select', { 'data-testid': 'theme', onChange: (event) => document.querySelector('secure-inbox')?.setAttribute('theme', event.target.value) }, [
                h('option', { value: 'auto' }, 'auto'),
                h('option', { value: 'light' }, 'light'),
                h('option', { value: 'dark' }, 'dark'),
              ]),
            ]),
          ]),
        ]),
        h('secure-inbox', {
          'api-base': apiBase,
          '.tokenProvider': tokenProvider.value,
          '.folder': folder.value,
          '.conversation': conversation.value,
          '.strings': { compose: 'Write to us' },
          onSecureFolderChange: (event) => {
            folder.value = event.detail.folder;
            note('secure-folder-change', event.detail.folder);
          },
          onSecureConversationOpen: (event) => {
            conversation.value = event.detail.id;
            note('secure-conversation-open', event.detail.id);
          },
          onSecureSent: () => note('secure-sent', 'sent'),
          onSecureError: (event) => note('secure-error', event.detail.error?.message ?? 'error'),
        }),
        h('aside', { class: 'side' }, [
          h('h2', 'Events the app received'),
          h('p', { 'data-testid': 'open-conversation' }, conversation.value ? `Open conversation: ${conversation.value}` : 'No conversation open'),
          h(
            'ul',
            { class: 'event-log', 'aria-live': 'polite' },
            log.value.map((entry) => h('li', { key: entry.at }, [h('code', entry.name), ' ', entry.text])),
          ),
        ]),
      ]);
  },
};

createApp(App).mount('#app');
