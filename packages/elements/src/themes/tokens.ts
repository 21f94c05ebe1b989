import { css, unsafeCSS } from 'lit';

/**
 * Global design tokens and their defaults. A page sets `--secure-*` on `secure-inbox` (or any ancestor);
 * each element reads them through private `--_*` variables, so defaults never override an inherited value.
 */
export const tokenDefaults = {
  light: {
    'color-accent': '#1f5fbf',
    'color-accent-contrast': '#ffffff',
    'color-text': '#1d2126',
    'color-surface': '#ffffff',
    'color-border': '#7d8591',
    'color-muted': '#5b6470',
    'color-danger': '#b3261e',
    'color-internal': '#8a5a00',
    'color-flag-customer': '#2e7d32',
    'color-flag-staff': '#1f5fbf',
    'color-flag-support': '#8e44ad',
  },
  dark: {
    'color-accent': '#8ab4f8',
    'color-accent-contrast': '#0b1b33',
    'color-text': '#e6e8eb',
    'color-surface': '#1b1e23',
    'color-border': '#7d8591',
    'color-muted': '#a9b0bb',
    'color-danger': '#f28b82',
    'color-internal': '#f2c46d',
    'color-flag-customer': '#81c995',
    'color-flag-staff': '#8ab4f8',
    'color-flag-support': '#d7aefb',
  },
  common: {
    'font-family': 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
    'font-size': '1rem',
    radius: '0.375rem',
    'space-xs': '0.25rem',
    'space-s': '0.5rem',
    'space-m': '1rem',
    'space-l': '1.5rem',
    density: '1',
  },
} as const;

const declare = (values: Record<string, string>) =>
  Object.entries(values)
    .map(([name, value]) => `--_${name}: var(--secure-${name}, ${value});`)
    .join('');

/** Shared by every element: resolves the tokens for light, dark (`theme="dark"`) and `auto` (the OS setting). */
export const tokens = css`
  :host {
    ${unsafeCSS(declare(tokenDefaults.common))}
    ${unsafeCSS(declare(tokenDefaults.light))}
    color-scheme: light;
  }
  :host([theme='dark']) {
    ${unsafeCSS(declare(tokenDefaults.dark))}
    color-scheme: dark;
  }
  @media (prefers-color-scheme: dark) {
    :host(:not([theme='light'])) {
      ${unsafeCSS(declare(tokenDefaults.dark))}
      color-scheme: dark;
    }
  }
`;
