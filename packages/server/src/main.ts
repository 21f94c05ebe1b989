import { serve } from '@hono/node-server';
import { createApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { openDb } from './db/client.js';
import { startBackgroundJobs } from './notify/background.js';

try {
  const config = loadConfig();
  const db = openDb(config.dbFile);
  const app = createApp({ db, config });
  startBackgroundJobs(db, config);
  serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
    console.log(`Secure Inbox listening on http://${info.address}:${info.port}`);
  });
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`Secure Inbox cannot start: ${error.message}`);
    process.exit(1);
  }
  throw error;
}
