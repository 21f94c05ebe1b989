import { defineConfig } from 'drizzle-kit';

/** The PostgreSQL store's migrations (src/store/postgres/schema.ts); `pnpm db:generate:pg` writes them. */
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/store/postgres/schema.ts',
  out: './drizzle-pg',
  casing: 'snake_case',
});
