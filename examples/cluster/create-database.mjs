// Part of start.sh: creates the database SECURE_INBOX_DATABASE_URL names when the server says it does not exist,
// connecting to the same server's `postgres` database to do so. An existing database is used as it is, so only a
// first start needs a role allowed to create databases. Exits 1 with one sentence when neither works.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const pg = createRequire(join(root, 'packages/server/package.json'))('pg');

const raw = process.env.SECURE_INBOX_DATABASE_URL ?? '';
const target = new URL(raw);
const name = decodeURIComponent(target.pathname.slice(1));
const shown = `database "${name}" at ${target.hostname}:${target.port || 5432}`;

async function tryConnect(url) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return { client };
  } catch (error) {
    return { error };
  }
}

const first = await tryConnect(raw);
if (first.client) {
  await first.client.end();
  console.log(`using the existing ${shown}`);
  process.exit(0);
}
// 3D000: invalid_catalog_name, the database does not exist. Anything else (no server, a wrong password) is for the user.
if (first.error.code !== '3D000' || !name) {
  console.error(`cannot connect to the ${shown}: ${first.error.message}`);
  process.exit(1);
}
const admin = new URL(raw);
admin.pathname = '/postgres';
const second = await tryConnect(admin.toString());
if (second.error) {
  console.error(`the ${shown} does not exist, and the server's "postgres" database to create it from refused: ${second.error.message}`);
  process.exit(1);
}
try {
  await second.client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  console.log(`created the ${shown}`);
} catch (error) {
  console.error(`the ${shown} does not exist and could not be created: ${error.message}`);
  process.exit(1);
} finally {
  await second.client.end();
}
