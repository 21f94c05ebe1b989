import { css } from 'lit';

export const styles = css`
  :host {
    display: block;
  }
  .panel,
  .row {
    display: flex;
    flex-wrap: wrap;
    gap: var(--_space-s);
    align-items: center;
  }
  .panel {
    flex-direction: column;
    align-items: stretch;
  }
  .hint,
  .confirm p {
    margin: 0;
    color: var(--_color-muted);
    font-size: 0.875em;
  }
  .internal {
    padding: var(--_space-s);
    border: 2px dashed var(--_color-internal);
    border-radius: var(--_radius);
  }
  .button.internal {
    border-style: dashed;
  }
  .banner {
    flex-basis: 100%;
    color: var(--_color-internal);
  }
  .confirm p {
    color: inherit;
    margin-block-end: var(--_space-s);
  }
`;
