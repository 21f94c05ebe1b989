import { css } from 'lit';

export const styles = css`
  :host {
    display: block;
  }
  .thread {
    display: flex;
    flex-direction: column;
    gap: var(--_space-m);
    padding: var(--_space-m);
  }
  .header {
    display: grid;
    gap: var(--_space-s);
  }
  .back {
    justify-self: start;
    padding-inline: var(--_space-xs);
  }
  .arrow {
    display: inline-block;
  }
  :host(:dir(rtl)) .arrow {
    transform: scaleX(-1);
  }
  .subject {
    margin: 0;
    font-size: 1.25em;
  }
  .meta,
  .participants {
    display: flex;
    flex-wrap: wrap;
    gap: var(--_space-s);
    align-items: center;
    margin: 0;
    color: var(--_color-muted);
  }
  .actions {
    display: flex;
    flex-wrap: wrap;
    gap: var(--_space-s);
  }
  .panel {
    display: flex;
    flex-wrap: wrap;
    gap: var(--_space-s);
    align-items: center;
    padding: var(--_space-s) var(--_space-m);
    border: 1px solid var(--_color-border);
    border-radius: var(--_radius);
  }
  .panel p {
    flex-basis: 100%;
    margin: 0;
  }
  fieldset {
    flex-basis: 100%;
    display: grid;
    gap: var(--_space-xs);
    margin: 0;
    border: 0;
    padding: 0;
  }
  .scores {
    grid-auto-flow: column;
    justify-content: start;
    column-gap: var(--_space-m);
  }
  .saved {
    display: flex;
    flex-wrap: wrap;
    gap: var(--_space-xs);
    margin: 0;
    padding: 0;
    list-style: none;
  }
  .comment {
    flex-basis: 100%;
    display: grid;
    gap: var(--_space-xs);
  }
  legend {
    font-weight: 600;
    padding: 0;
    margin-block-end: var(--_space-xs);
  }
  .danger {
    color: var(--_color-danger);
    border-color: var(--_color-danger);
  }
  .muted {
    color: var(--_color-muted);
  }
  .older {
    align-self: center;
  }
  .messages {
    display: flex;
    flex-direction: column;
    gap: var(--_space-m);
  }
  .message {
    /* Long threads: the browser skips layout and paint of messages far off screen. */
    content-visibility: auto;
    contain-intrinsic-size: auto 8rem;
    max-inline-size: var(--secure-thread-max-width, 48rem);
    padding: var(--_space-s) var(--_space-m);
    border: 1px solid color-mix(in srgb, var(--_color-border) 45%, transparent);
    border-inline-start: 4px solid var(--_flag);
    border-radius: var(--_radius);
    background: var(--_color-surface);
  }
  .message.internal {
    border-style: dashed;
    border-inline-start: 4px solid var(--_color-internal);
    background: color-mix(in srgb, var(--_color-internal) 10%, var(--_color-surface));
  }
  .message-header {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: var(--_space-s);
  }
  .message-header time,
  .role {
    color: var(--_color-muted);
    font-size: 0.875em;
  }
  .internal-label {
    color: var(--_color-internal);
    font-weight: 600;
    text-transform: uppercase;
    letter-spacing: 0.04em;
  }
  .body {
    overflow-wrap: anywhere;
  }
  .body :first-child {
    margin-block-start: var(--_space-s);
  }
  .body blockquote {
    margin-inline: 0;
    padding-inline-start: var(--_space-m);
    border-inline-start: 3px solid var(--_color-border);
  }
  .body pre {
    overflow: auto;
  }
  .attachments {
    margin: 0;
    padding-inline-start: var(--_space-l);
  }
  [part~='attachment-preview']:not([hidden]) {
    display: block;
    max-inline-size: 100%;
    margin-block: var(--_space-xs);
    border-radius: var(--_radius);
  }
  .reply-to {
    padding-inline: var(--_space-xs);
    min-block-size: 2rem;
  }
  .reply {
    display: grid;
    gap: var(--_space-s);
    max-inline-size: var(--secure-thread-max-width, 48rem);
    padding-block-start: var(--_space-m);
    border-block-start: 1px solid var(--_color-border);
  }
  .quote {
    margin: 0;
    padding: var(--_space-s) var(--_space-m);
    border-inline-start: 3px solid var(--_color-accent);
    background: color-mix(in srgb, var(--_color-accent) 6%, var(--_color-surface));
    border-radius: var(--_radius);
  }
  .quote figcaption {
    font-weight: 600;
  }
  .quote blockquote {
    margin: 0;
    color: var(--_color-muted);
    white-space: pre-line;
  }
  .internal-hint {
    margin: 0;
    color: var(--_color-internal);
    font-weight: 600;
  }
  .reply-actions {
    display: flex;
    flex-wrap: wrap;
    gap: var(--_space-m);
    align-items: center;
  }
  .error-text {
    color: var(--_color-danger);
  }
`;
