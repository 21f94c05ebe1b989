#!/usr/bin/env node
/**
 * The `secure-inbox` command of the installed package: `secure-inbox serve`, `secure-inbox migrate`, `secure-inbox doctor`,
 * `secure-inbox copy-to-postgres`.
 * Each subcommand is a module loaded when asked for, so one line adds another.
 */
export {};

const commands: Record<string, { about: string; run: () => Promise<unknown> }> = {
  serve: { about: 'run the server, configured by the environment', run: () => import('./main.js') },
  migrate: { about: 'create the SQLite database if needed and apply its migrations', run: () => import('./migrate.js') },
  doctor: { about: 'check the configuration in the environment, one line per check', run: () => import('./doctor-main.js') },
  'copy-to-postgres': {
    about: 'copy the SQLite database and its attachments into the empty PostgreSQL at SECURE_INBOX_DATABASE_URL',
    run: () => import('./copy-to-postgres.js'),
  },
};

const [name, ...rest] = process.argv.slice(2);
const command = name === undefined ? undefined : commands[name];
if (!command || rest.length > 0) {
  const width = Math.max(...Object.keys(commands).map((key) => key.length));
  const list = Object.entries(commands).map(([key, { about }]) => `  secure-inbox ${key.padEnd(width)} ${about}`);
  const usage = `Usage:\n${list.join('\n')}\nConfiguration comes from the environment (see the README of @secure-inbox/server).`;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    console.log(usage);
  } else {
    console.error(`secure-inbox: unknown command "${[name, ...rest].join(' ')}".\n${usage}`);
    process.exitCode = 1;
  }
} else {
  await command.run();
}
