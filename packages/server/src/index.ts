/**
 * @secure-inbox/server as a library: what a host needs to mount the app in a Node server of its own
 * (docs/operations.md, "Mounting in an existing Node server"). `secure-inbox serve` is startServer(loadConfig()).
 */
export { createApp, type CreateAppOptions } from './app.js';
export type { AppDeps, AppEnv } from './context.js';
export { loadConfig, loadDatabaseConfig, ConfigError, type Config, type NotifyMode } from './config.js';
export { openDb, type Db } from './store/sqlite/client.js';
export { openSqliteStore, type SqliteStore, type SqliteStoreOptions } from './store/sqlite/store.js';
export type { Store, SearchIndex, TransactionOptions } from './store/types.js';
export { startWriterThread, type WriterThread } from './store/sqlite/writer-thread.js';
export { startCheckpointer, type Checkpointer } from './store/sqlite/checkpointer.js';
export { startBackgroundJobs } from './notify/background.js';
export { AnswerResponse } from './answer-headers.js';
export { startServer, runOrExplain, type StartOptions } from './server.js';
