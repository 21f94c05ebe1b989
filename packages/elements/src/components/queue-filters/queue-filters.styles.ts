import { css } from 'lit';

export const styles = css`
  :host {
    display: block;
  }
  .queues {
    display: flex;
    flex-wrap: wrap;
    gap: var(--_space-xs) var(--_space-s);
    align-items: center;
  }
  label {
    display: inline-flex;
    gap: var(--_space-xs);
    align-items: center;
    max-inline-size: 100%;
  }
  /* A long account name must not push the list pane into the thread. */
  select {
    min-inline-size: 0;
    max-inline-size: 100%;
  }
`;
