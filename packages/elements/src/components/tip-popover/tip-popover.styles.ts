import { css } from 'lit';

export const styles = css`
  :host {
    display: inline-block;
  }
  .bulb {
    display: inline-flex;
    align-items: center;
    justify-content: center;
    inline-size: 2rem;
    block-size: 2rem;
    padding: 0;
    color: var(--secure-tip-color, var(--_color-internal));
    background: transparent;
    border: 1px solid transparent;
    border-radius: 50%;
    cursor: pointer;
  }
  .bulb:hover {
    border-color: currentColor;
  }
  .tip {
    position-area: block-end span-inline-end;
    position-try-fallbacks: flip-block, flip-inline;
    margin: var(--_space-xs);
    max-inline-size: min(var(--secure-tip-max-width, 20rem), 90vw);
    padding: var(--_space-s) var(--_space-m);
    padding-inline-end: 2.75rem;
    color: var(--_color-text);
    background: var(--_color-surface);
    border: 1px solid var(--_color-border);
    border-inline-start: 4px solid var(--_color-internal);
    border-radius: var(--_radius);
    box-shadow: 0 0.25rem 1rem rgb(0 0 0 / 0.2);
  }
  .text {
    margin: var(--_space-xs) 0 0;
  }
  .close {
    position: absolute;
    inset-block-start: var(--_space-xs);
    inset-inline-end: var(--_space-xs);
  }
`;
