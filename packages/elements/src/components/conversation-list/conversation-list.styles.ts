import { css } from 'lit';

export const styles = css`
  :host {
    display: block;
  }
  [part~='list'] {
    list-style: none;
    margin: 0;
    padding: 0;
  }
  .row {
    position: relative;
    display: grid;
    gap: calc(var(--secure-list-row-gap, 0.125rem) * var(--_density));
    padding-block: calc(var(--_space-s) * var(--_density));
    padding-inline: calc(var(--_space-m) * var(--_density)) var(--_space-s);
    border-block-end: 1px solid color-mix(in srgb, var(--_color-border) 45%, transparent);
    border-inline-start: 4px solid var(--_flag);
    cursor: pointer;
    outline-offset: -3px;
  }
  .row:hover {
    background: color-mix(in srgb, var(--_color-accent) 6%, var(--_color-surface));
  }
  .row[aria-selected='true'] {
    background: color-mix(in srgb, var(--_color-accent) 12%, var(--_color-surface));
  }
  .flag {
    font-weight: 600;
  }
  .top,
  .meta {
    display: flex;
    gap: var(--_space-s);
    align-items: baseline;
    min-inline-size: 0;
  }
  .sender {
    flex: 1;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .time,
  .meta {
    color: var(--_color-muted);
    font-size: 0.875em;
  }
  .subject,
  .preview {
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .unread .subject {
    font-weight: 600;
  }
  .preview {
    color: var(--_color-muted);
  }
  .account {
    flex: 1;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .unread-marker {
    color: var(--_color-accent-contrast);
    background: var(--_color-accent);
    border-radius: 999px;
    padding-inline: var(--_space-s);
    font-weight: 600;
  }
  .more {
    display: flex;
    flex-direction: column;
    align-items: center;
    padding: var(--_space-m);
  }
`;
