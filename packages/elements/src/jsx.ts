/**
 * JSX typings for React 19 (`import type {} from '@secure-inbox/elements/jsx'` once in a React app): every
 * `<secure-*>` tag with its properties. React 19 sets a prop as a property when the element has one
 * (`tokenProvider`, `strings`, `folder`), else as an attribute. @secure-inbox/react adds typed `onSecure…` events.
 */
import type { DetailedHTMLProps, HTMLAttributes } from 'react';
import type { LitElement } from 'lit';

/** An element's own properties (not HTMLElement's nor Lit's), all optional, beside React's usual HTML props. */
type ElementProps<E extends HTMLElement> = DetailedHTMLProps<HTMLAttributes<E>, E> &
  Partial<Omit<E, keyof LitElement | 'emit' | 't'>> & { class?: string; 'api-base'?: string };

type SecureTags = { [Tag in Extract<keyof HTMLElementTagNameMap, `secure-${string}`>]: ElementProps<HTMLElementTagNameMap[Tag]> };

declare module 'react' {
  namespace JSX {
    interface IntrinsicElements extends SecureTags {}
  }
}
