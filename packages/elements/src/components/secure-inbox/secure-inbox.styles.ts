import { css } from 'lit';

export const styles = css`
  :host {
    display: block;
  }
  .base {
    display: flex;
    flex-direction: column;
    block-size: var(--secure-inbox-height, 40rem);
    color: var(--_color-text);
    background: var(--_color-surface);
    border: 1px solid var(--_color-border);
    border-radius: var(--_radius);
    overflow: hidden;
    container-type: inline-size;
  }
  .layout {
    flex: 1;
    display: grid;
    grid-template-columns: var(--secure-nav-width, 11rem) minmax(14rem, var(--secure-list-width, 24rem)) minmax(0, 1fr);
    min-block-size: 0;
  }
  .nav {
    display: flex;
    flex-direction: column;
    gap: var(--_space-m);
    padding: var(--_space-m) var(--_space-s);
    border-inline-end: 1px solid color-mix(in srgb, var(--_color-border) 45%, transparent);
    overflow: auto;
  }
  .folders {
    display: flex;
    flex-direction: column;
    gap: var(--_space-xs);
    list-style: none;
    margin: 0;
    padding: 0;
  }
  .folder {
    display: flex;
    align-items: center;
    justify-content: space-between;
    gap: var(--_space-s);
    inline-size: 100%;
    min-block-size: 2.25rem;
    padding-block: calc(var(--_space-xs) * var(--_density));
    padding-inline: var(--_space-s);
    font: inherit;
    text-align: start;
    color: inherit;
    background: transparent;
    border: 0;
    border-radius: var(--_radius);
    cursor: pointer;
  }
  .folder:hover {
    background: color-mix(in srgb, var(--_color-accent) 8%, var(--_color-surface));
  }
  .folder[aria-current='page'] {
    font-weight: 700;
    background: color-mix(in srgb, var(--_color-accent) 14%, var(--_color-surface));
  }
  .count {
    min-inline-size: 1.5rem;
    padding-inline: var(--_space-xs);
    text-align: center;
    font-size: 0.8125em;
    font-weight: 700;
    color: var(--_color-accent-contrast);
    background: var(--_color-accent);
    border-radius: 999px;
  }
  .list-pane {
    display: flex;
    flex-direction: column;
    min-block-size: 0;
    border-inline-end: 1px solid color-mix(in srgb, var(--_color-border) 45%, transparent);
  }
  .search {
    display: flex;
    flex-wrap: wrap;
    gap: var(--_space-s);
    align-items: center;
    padding: var(--_space-s);
    border-block-end: 1px solid color-mix(in srgb, var(--_color-border) 45%, transparent);
  }
  .search input[type='search'] {
    flex: 1;
    min-inline-size: 8rem;
  }
  .search-hint {
    flex-basis: 100%;
    color: var(--_color-muted);
  }
  .list {
    flex: 1;
    overflow: auto;
  }
  .detail {
    min-block-size: 0;
    overflow: auto;
  }
  .placeholder {
    margin: var(--_space-l);
    color: var(--_color-muted);
  }
  .list-pane[hidden] + .detail {
    grid-column: 2 / -1;
  }
  /* Middle widths (a portal page with a sidebar, 1280-1440 px screens): the folders become a row on top, so the
     thread keeps the room it needs beside the list. */
  @container (max-width: 72rem) {
    .layout {
      grid-template-columns: minmax(14rem, min(var(--secure-list-width, 24rem), 36%)) minmax(0, 1fr);
      grid-template-rows: auto minmax(0, 1fr);
    }
    .nav {
      grid-column: 1 / -1;
      flex-direction: row;
      flex-wrap: wrap;
      align-items: center;
      border-inline-end: 0;
      border-block-end: 1px solid color-mix(in srgb, var(--_color-border) 45%, transparent);
      padding: var(--_space-s);
    }
    .folders {
      flex-direction: row;
      flex-wrap: wrap;
    }
    .list-pane[hidden] + .detail {
      grid-column: 1 / -1;
    }
  }
  @container (max-width: 52rem) {
    .layout {
      grid-template-columns: minmax(0, 1fr);
    }
    .no-detail .detail,
    .has-detail .list-pane {
      display: none;
    }
  }
`;
