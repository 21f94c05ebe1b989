import { css } from 'lit';

export const styles = css`
  :host {
    display: contents;
  }
  .dialog {
    inline-size: min(var(--secure-compose-width, 36rem), calc(100vw - 2rem));
    max-block-size: calc(100vh - 2rem);
    padding: var(--_space-m) var(--_space-l) var(--_space-l);
    color: var(--_color-text);
    background: var(--_color-surface);
    border: 1px solid var(--_color-border);
    border-radius: var(--_radius);
    font-family: var(--_font-family);
    font-size: var(--_font-size);
  }
  .dialog::backdrop {
    background: rgb(0 0 0 / 0.4);
  }
  .head {
    display: flex;
    align-items: center;
    justify-content: space-between;
    gap: var(--_space-m);
  }
  h2 {
    margin: 0;
    font-size: 1.25em;
  }
  .form {
    display: grid;
    gap: var(--_space-s);
    margin-block-start: var(--_space-m);
  }
  .field {
    display: grid;
    gap: var(--_space-xs);
    font-weight: 600;
  }
  .field select {
    font-weight: normal;
  }
  .recipients {
    display: grid;
    gap: var(--_space-xs);
    margin: 0;
    padding: var(--_space-s) var(--_space-m);
    border: 1px solid var(--_color-border);
    border-radius: var(--_radius);
  }
  legend {
    padding-inline: var(--_space-xs);
  }
  .hint,
  .muted {
    margin: 0;
    color: var(--_color-muted);
    font-weight: normal;
    font-size: 0.875em;
  }
  .error-text {
    margin: 0;
    color: var(--_color-danger);
  }
  .error-text:empty {
    display: none;
  }
  .actions {
    display: flex;
    justify-content: flex-end;
    gap: var(--_space-s);
  }
`;
