import { css } from 'lit';

export const styles = css`
  :host {
    display: inline-block;
  }
  .bell {
    position: relative;
  }
  .count {
    margin-inline-start: var(--_space-xs);
    padding-inline: 0.4rem;
    font-size: 0.75rem;
    font-weight: 700;
    color: var(--_color-accent-contrast);
    background: var(--_color-accent);
    border-radius: 999px;
  }
  .menu {
    position-area: block-end span-inline-start;
    position-try-fallbacks: flip-inline, flip-block;
    inline-size: min(var(--secure-notifications-width, 22rem), 95vw);
    max-block-size: 70vh;
    margin: var(--_space-xs);
    padding: var(--_space-s);
    color: var(--_color-text);
    background: var(--_color-surface);
    border: 1px solid var(--_color-border);
    border-radius: var(--_radius);
  }
  h2 {
    margin: 0 0 var(--_space-s);
    font-size: 1em;
  }
  ul {
    margin: 0;
    padding: 0;
    list-style: none;
  }
  .item {
    display: grid;
    inline-size: 100%;
    justify-items: start;
    text-align: start;
    margin-block-end: var(--_space-xs);
  }
  .unread {
    font-weight: 700;
  }
  .muted {
    color: var(--_color-muted);
    font-weight: 400;
  }
`;
