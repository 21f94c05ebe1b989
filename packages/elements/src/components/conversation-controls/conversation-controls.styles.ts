import { css } from 'lit';

export const styles = css`
  :host {
    display: block;
  }
  .controls {
    display: flex;
    flex-wrap: wrap;
    gap: var(--_space-s) var(--_space-m);
    align-items: center;
  }
  label {
    display: inline-flex;
    gap: var(--_space-xs);
    align-items: center;
  }
  .hint {
    color: var(--_color-muted);
    font-size: 0.875em;
  }
  .error-text {
    color: var(--_color-danger);
  }
`;
