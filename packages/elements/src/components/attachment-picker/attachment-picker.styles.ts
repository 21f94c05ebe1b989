import { css } from 'lit';

export const styles = css`
  :host {
    display: block;
  }
  .attach:focus-within {
    outline: 2px solid var(--_color-accent);
    outline-offset: 2px;
  }
  ul {
    display: flex;
    flex-wrap: wrap;
    gap: var(--_space-xs);
    margin: var(--_space-xs) 0 0;
    padding: 0;
    list-style: none;
  }
  li {
    display: inline-flex;
    flex-wrap: wrap;
    align-items: center;
    gap: var(--_space-xs);
    padding-inline-start: var(--_space-s);
    border: 1px solid var(--_color-border);
    border-radius: var(--_radius);
    overflow-wrap: anywhere;
  }
  li .error-text {
    flex-basis: 100%;
    color: var(--_color-danger);
  }
  progress {
    inline-size: 6rem;
    accent-color: var(--_color-accent);
  }
  .size {
    color: var(--_color-muted);
  }
`;
