import { css } from 'lit';

export const styles = css`
  :host {
    display: block;
  }
  .label {
    font-weight: 600;
    margin-block-end: var(--_space-xs);
  }
  .frame {
    border: 1px solid var(--_color-border);
    border-radius: var(--_radius);
    background: var(--_color-surface);
  }
  .frame.invalid {
    border-color: var(--_color-danger);
  }
  .frame:focus-within {
    border-color: var(--_color-accent);
  }
  .toolbar {
    display: flex;
    gap: var(--_space-xs);
    padding: var(--_space-xs);
    border-block-end: 1px solid color-mix(in srgb, var(--_color-border) 45%, transparent);
  }
  .tool-0 {
    font-weight: 700;
  }
  .tool-1 {
    font-style: italic;
  }
  .link-form {
    display: flex;
    flex-wrap: wrap;
    gap: var(--_space-s);
    align-items: center;
    padding: var(--_space-s);
    border-block-end: 1px solid color-mix(in srgb, var(--_color-border) 45%, transparent);
  }
  .link-form input {
    flex: 1;
    min-inline-size: 10rem;
  }
  .editor {
    min-block-size: var(--secure-editor-min-height, 6rem);
    max-block-size: var(--secure-editor-max-height, 20rem);
    overflow: auto;
    padding: var(--_space-s);
    outline-offset: -2px;
    overflow-wrap: anywhere;
  }
  .editor p {
    margin-block: 0 var(--_space-s);
  }
  .error-text {
    color: var(--_color-danger);
  }
`;
