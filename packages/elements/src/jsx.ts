/**
 * JSX typings for React 19 (`import type {} from '@secure-inbox/elements/jsx'` once in a React app): every
 * `<secure-*>` tag with its properties. React 19 sets a prop as a property when the element has one
 * (`tokenProvider`, `strings`, `folder`), else as an attribute, and listens to `secure-ready` for `onsecure-ready`
 * (typed here with its `detail`). @secure-inbox/react gives components with `onSecure…` props instead.
 */
import type { DetailedHTMLProps, HTMLAttributes } from 'react';
import type { LitElement } from 'lit';
import type { SecureEventMap } from './events.js';

/** `onsecure-ready` and the like: React 19 adds a listener for the event named after `on`. */
type EventProps = { [K in keyof SecureEventMap as `on${K}`]?: (event: SecureEventMap[K]) => void };

/** An element's own properties (not HTMLElement's nor Lit's), all optional, beside React's usual HTML props. */
type ElementProps<E extends HTMLElement> = DetailedHTMLProps<HTMLAttributes<E>, E> &
  Partial<Omit<E, keyof LitElement | 'emit' | 't'>> &
  EventProps & { class?: string; 'api-base'?: string };

type SecureTags = { [Tag in Extract<keyof HTMLElementTagNameMap, `secure-${string}`>]: ElementProps<HTMLElementTagNameMap[Tag]> };

declare module 'react' {
  namespace JSX {
    interface IntrinsicElements extends SecureTags {}
  }
}
