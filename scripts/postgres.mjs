// Whether a PostgreSQL server answers at the test database URL: the server suites run on it too.
import { connect } from 'node:net';

export const testDatabaseUrl = process.env.SECURE_INBOX_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * Opens a connection to the URL's host and port and sends PostgreSQL's SSLRequest; a PostgreSQL server answers
 * it with one byte, `S` or `N`. Resolves to true when it did within `timeoutMs`.
 */
export function postgresAnswers(url = testDatabaseUrl, timeoutMs = 3000) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname.replace(/^\[|\]$/g, '') || '127.0.0.1', port: Number(port || 5432) });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => {
      const request = Buffer.alloc(8);
      request.writeInt32BE(8, 0);
      request.writeInt32BE(80877103, 4);
      socket.write(request);
    });
    socket.on('data', (data) => done(data.length === 1 && (data[0] === 0x53 || data[0] === 0x4e)));
  });
}
