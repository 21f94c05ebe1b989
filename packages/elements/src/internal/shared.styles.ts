import { css } from 'lit';
import { tokens } from '../themes/tokens.js';

/** Base rules every element shares: tokens, box model, buttons, focus rings, states. Logical properties only (RTL). */
export const shared = [
  tokens,
  css`
    :host {
      box-sizing: border-box;
      font-family: var(--_font-family);
      font-size: var(--_font-size);
      line-height: 1.45;
      color: var(--_color-text);
    }
    :host([hidden]) {
      display: none !important;
    }
    *,
    *::before,
    *::after {
      box-sizing: inherit;
    }
    [hidden] {
      display: none !important;
    }
    :focus-visible {
      outline: 2px solid var(--_color-accent);
      outline-offset: 2px;
    }
    .sr-only {
      position: absolute;
      inline-size: 1px;
      block-size: 1px;
      margin: -1px;
      padding: 0;
      overflow: hidden;
      clip-path: inset(50%);
      white-space: nowrap;
      border: 0;
    }
    .button {
      display: inline-flex;
      align-items: center;
      justify-content: center;
      gap: var(--_space-xs);
      min-block-size: 2.25rem;
      padding-block: calc(var(--_space-xs) * var(--_density));
      padding-inline: var(--_space-m);
      font: inherit;
      color: var(--_color-text);
      background: var(--_color-surface);
      border: 1px solid var(--_color-border);
      border-radius: var(--_radius);
      cursor: pointer;
    }
    .button:hover {
      border-color: var(--_color-accent);
    }
    .button:disabled {
      opacity: 0.6;
      cursor: not-allowed;
    }
    .button.primary {
      color: var(--_color-accent-contrast);
      background: var(--_color-accent);
      border-color: var(--_color-accent);
    }
    .button.quiet {
      border-color: transparent;
      background: transparent;
    }
    .button.icon {
      padding-inline: var(--_space-s);
      min-inline-size: 2.25rem;
    }
    input,
    select,
    textarea {
      font: inherit;
      color: inherit;
      background: var(--_color-surface);
      border: 1px solid var(--_color-border);
      border-radius: var(--_radius);
      padding-block: var(--_space-xs);
      padding-inline: var(--_space-s);
      min-block-size: 2.25rem;
    }
    a {
      color: var(--_color-accent);
    }
    /* A checkbox beside its label, centred on the label's first line. */
    .check {
      display: flex;
      align-items: center;
      gap: var(--_space-xs);
      font-weight: normal;
    }
    .check input {
      min-block-size: auto;
      margin: 0;
    }
    .state {
      display: flex;
      flex-direction: column;
      align-items: center;
      gap: var(--_space-s);
      padding: var(--_space-l) var(--_space-m);
      color: var(--_color-muted);
      text-align: center;
    }
    .state.loading {
      flex-direction: row;
      justify-content: center;
    }
    .state.error {
      color: var(--_color-danger);
    }
    .error-text {
      margin: 0;
    }
    .spinner {
      inline-size: 1rem;
      block-size: 1rem;
      border: 2px solid var(--_color-border);
      border-block-start-color: var(--_color-accent);
      border-radius: 50%;
      animation: spin 0.8s linear infinite;
    }
    @keyframes spin {
      to {
        transform: rotate(1turn);
      }
    }
    @media (prefers-reduced-motion: reduce) {
      .spinner {
        animation: none;
      }
    }
    .flag-customer {
      --_flag: var(--_color-flag-customer);
    }
    .flag-staff {
      --_flag: var(--_color-flag-staff);
    }
    .flag-support {
      --_flag: var(--_color-flag-support);
    }
    .chip {
      display: inline-block;
      padding-inline: var(--_space-s);
      border: 1px solid currentColor;
      border-radius: 999px;
      font-size: 0.8125em;
      white-space: nowrap;
    }
  `,
];
