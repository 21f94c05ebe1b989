import { css } from 'lit';

export const styles = css`
  :host {
    display: inline-block;
  }
  .badge-button {
    position: relative;
    display: inline-flex;
    align-items: center;
    justify-content: center;
    inline-size: 2.5rem;
    block-size: 2.5rem;
    padding: 0;
    color: inherit;
    background: transparent;
    border: 1px solid transparent;
    border-radius: var(--_radius);
    cursor: pointer;
  }
  .badge-button:hover {
    border-color: var(--_color-border);
  }
  .count {
    position: absolute;
    inset-block-start: -0.25rem;
    inset-inline-end: -0.25rem;
    min-inline-size: 1.25rem;
    padding-inline: 0.3rem;
    font-size: 0.75rem;
    font-weight: 700;
    line-height: 1.25rem;
    color: var(--_color-accent-contrast);
    background: var(--_color-accent);
    border-radius: 999px;
  }
  /* Nothing unread: no bubble, only the spoken count. */
  .count.zero {
    display: contents;
  }
  .menu {
    position-area: block-end span-inline-start;
    position-try-fallbacks: flip-inline, flip-block;
    inline-size: min(var(--secure-badge-menu-width, 20rem), 95vw);
    margin: var(--_space-xs);
    padding: var(--_space-s);
    color: var(--_color-text);
    background: var(--_color-surface);
    border: 1px solid var(--_color-border);
    border-radius: var(--_radius);
    box-shadow: 0 0.25rem 1rem rgb(0 0 0 / 0.2);
  }
  .menu-title {
    margin: 0 0 var(--_space-s);
    font-size: 1em;
  }
  .items {
    list-style: none;
    margin: 0;
    padding: 0;
  }
  .item {
    display: grid;
    grid-template-columns: 1fr auto;
    gap: 0 var(--_space-s);
    inline-size: 100%;
    padding: var(--_space-s);
    font: inherit;
    text-align: start;
    color: inherit;
    background: transparent;
    border: 0;
    border-radius: var(--_radius);
    text-decoration: none;
    cursor: pointer;
  }
  .item:hover {
    background: color-mix(in srgb, var(--_color-accent) 8%, var(--_color-surface));
  }
  .item time {
    color: var(--_color-muted);
    font-size: 0.875em;
  }
  .subject {
    grid-column: 1 / -1;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .view-all {
    display: flex;
    justify-content: center;
    inline-size: 100%;
    margin-block-start: var(--_space-s);
    padding: var(--_space-s);
  }
`;
