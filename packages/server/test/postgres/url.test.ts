import { createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config.js';
import { checkDatabase, parseDatabaseUrl } from '../../src/store/postgres/url.js';
import { testDatabaseUrl } from './database.js';

const parse = (value: string | undefined) => parseDatabaseUrl({ SECURE_INBOX_DATABASE_URL: value });

describe('SECURE_INBOX_DATABASE_URL', () => {
  it('is optional: unset or empty keeps the embedded SQLite store', () => {
    expect(parse(undefined)).toBeNull();
    expect(parse('  ')).toBeNull();
  });

  it('accepts postgres:// and postgresql:// URLs', () => {
    expect(parse('postgres://app:secret@db.internal:6432/inbox')).toEqual({
      url: 'postgres://app:secret@db.internal:6432/inbox',
      address: 'db.internal:6432',
      database: 'inbox',
    });
    expect(parse('postgresql://app@[::1]/inbox')).toMatchObject({ address: '[::1]:5432', database: 'inbox' });
    expect(parse('postgres://app@localhost')).toMatchObject({ address: 'localhost:5432', database: 'app' });
  });

  it('refuses other schemes and non-URLs with a sentence naming the variable, without the password', () => {
    for (const value of ['mysql://app:secret@db/inbox', 'sqlite:./data/inbox.db', 'https://db.internal']) {
      expect(() => parse(value)).toThrow(ConfigError);
      expect(() => parse(value)).toThrow(/^SECURE_INBOX_DATABASE_URL must start with postgres:\/\/ or postgresql:\/\//);
    }
    expect(() => parse('mysql://app:secret@db/inbox')).not.toThrow(/secret/);
    expect(() => parse('db.internal:5432')).toThrow(/^SECURE_INBOX_DATABASE_URL must start with postgres:/);
    expect(() => parse('not a url')).toThrow(/^SECURE_INBOX_DATABASE_URL must be a URL such as postgres:\/\//);
  });
});

describe('checkDatabase', () => {
  it('passes for a server that answers', async () => {
    await checkDatabase(parseDatabaseUrl({ SECURE_INBOX_DATABASE_URL: testDatabaseUrl })!);
  });

  it('names the variable and host:port when nothing listens there', async () => {
    // A port that was free a moment ago: nothing listens on it.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    const target = parse(`postgres://postgres:secret@127.0.0.1:${port}/postgres`)!;
    await expect(checkDatabase(target)).rejects.toThrow(
      new ConfigError(`SECURE_INBOX_DATABASE_URL: no PostgreSQL answers at 127.0.0.1:${port} (ECONNREFUSED).`),
    );
  });

  it('names the variable and host:port when the server does not answer in time', async () => {
    // Accepts the connection and never says a word.
    const sockets: Socket[] = [];
    const server = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      await expect(checkDatabase(parse(`postgres://postgres@127.0.0.1:${port}/postgres`)!, { timeoutMs: 200 })).rejects.toThrow(
        new RegExp(`^SECURE_INBOX_DATABASE_URL: no PostgreSQL answers at 127\\.0\\.0\\.1:${port} `),
      );
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('names the database the server refused', async () => {
    const url = new URL(testDatabaseUrl);
    url.pathname = '/secure_inbox_no_such_database';
    await expect(checkDatabase(parse(url.toString())!)).rejects.toThrow(
      /^SECURE_INBOX_DATABASE_URL: PostgreSQL at .+:\d+ refused database "secure_inbox_no_such_database" \(.*does not exist\)\.$/,
    );
  });
});
