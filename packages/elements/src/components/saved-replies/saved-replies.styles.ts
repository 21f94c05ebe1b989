import { css } from 'lit';

export const styles = css`
  :host {
    display: block;
  }
  .saved-replies,
  .form,
  .replies {
    display: grid;
    gap: var(--_space-m);
  }
  .saved-replies {
    padding: var(--_space-m);
  }
  .heading,
  .actions {
    display: flex;
    flex-wrap: wrap;
    gap: var(--_space-s);
    align-items: center;
    justify-content: space-between;
  }
  h2,
  h3,
  p {
    margin: 0;
  }
  h2 {
    font-size: 1.25em;
  }
  h3 {
    font-size: 1.1em;
  }
  .form {
    gap: var(--_space-xs);
    padding: var(--_space-m);
    border: 1px solid var(--_color-border);
    border-radius: var(--_radius);
  }
  .field {
    display: grid;
    gap: var(--_space-xs);
  }
  .replies {
    gap: var(--_space-s);
    margin: 0;
    padding: 0;
    list-style: none;
  }
  .reply {
    display: grid;
    gap: var(--_space-xs);
    padding: var(--_space-s) var(--_space-m);
    border: 1px solid color-mix(in srgb, var(--_color-border) 45%, transparent);
    border-radius: var(--_radius);
  }
  .reply .actions {
    justify-content: start;
  }
  .muted {
    color: var(--_color-muted);
    font-size: 0.875em;
  }
  .text {
    overflow-wrap: anywhere;
  }
`;
