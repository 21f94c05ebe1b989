// Prettier for the whole repository (`pnpm lint` checks, `pnpm format` writes). The options are the ones the code
// was already written in: single quotes, semicolons, trailing commas, long lines.
/** @type {import('prettier').Config} */
export default {
  singleQuote: true,
  printWidth: 160,
  // Lit's html`` and css`` templates stay as written: inside a template, whitespace can be content.
  embeddedLanguageFormatting: 'off',
};
