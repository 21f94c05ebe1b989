// Shared by the framework examples: where the widget server is, how to get a token, and loading the bundle.
// A real app would read the server's URL from its own configuration and mint tokens on its own backend.

/** The widget server's origin, as the examples server reports it. */
export async function widgetServer() {
  const response = await fetch('/config.json');
  return (await response.json()).apiBase;
}

/** Loads `/secure-inbox.js` from the widget server: it registers every element. */
export async function loadElements(apiBase) {
  await import(/* @vite-ignore */ `${apiBase}/secure-inbox.js`);
  await customElements.whenDefined('secure-inbox');
}

/** A token provider for a demo user: the examples server stands in for the app's backend. */
export function tokenProviderFor(userId) {
  return async () => {
    const response = await fetch(`/portal/secure-inbox-token?as=${encodeURIComponent(userId)}`);
    if (!response.ok) throw new Error(await response.text());
    return response.text();
  };
}

/** The demo customers an example app can switch between. */
export const demoCustomers = [
  { id: 'maria.lopez', name: 'Maria López (permit applicant)' },
  { id: 'tom.hartley', name: 'Tom Hartley (accounting client)' },
  { id: 'grace.okafor', name: 'Grace Okafor (law firm client)' },
  { id: 'dan.reyes', name: 'Dan Reyes (plan reviewer, staff)' },
];
