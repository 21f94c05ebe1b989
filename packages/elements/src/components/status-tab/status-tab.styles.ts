import { css } from 'lit';

export const styles = css`
  :host {
    display: block;
  }
  .status-tab {
    display: grid;
    gap: var(--_space-m);
    padding: var(--_space-m);
  }
  h2 {
    margin: 0;
    font-size: 1.25em;
  }
  .field {
    display: grid;
    gap: var(--_space-xs);
    justify-self: start;
  }
  .messages {
    display: grid;
    gap: var(--_space-m);
  }
  .message {
    max-inline-size: var(--secure-thread-max-width, 48rem);
    padding: var(--_space-s) var(--_space-m);
    border: 1px solid color-mix(in srgb, var(--_color-border) 45%, transparent);
    border-inline-start: 4px solid var(--_color-accent);
    border-radius: var(--_radius);
  }
  .message-header {
    display: flex;
    gap: var(--_space-s);
    align-items: baseline;
  }
  time {
    color: var(--_color-muted);
    font-size: 0.875em;
  }
  .body {
    overflow-wrap: anywhere;
  }
`;
