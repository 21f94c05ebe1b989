import type { Config } from './config.js';
import type { Db } from './store/sqlite/client.js';
import type { MessageEffects } from './domain/messages.js';
import type { Writes } from './domain/writes.js';
import type { Viewer } from './domain/visibility.js';
import type { Readiness } from './ops/health.js';
import type { Logger } from './ops/log.js';
import type { Metrics } from './ops/metrics.js';
import type { RealtimeOptions } from './realtime/stream.js';

/** What the app is built from; tests pass their own. */
export interface AppDeps {
  db: Db;
  config: Config;
  effects?: MessageEffects;
  /** Where sends and sign-ins are written; by default on this thread, through `db` with `effects`. */
  writes?: Writes;
  /** The live event stream's settings (tests shorten the heartbeat). */
  realtime?: RealtimeOptions;
  /** Where operator-facing lines go; by default JSON lines on stdout at SECURE_INBOX_LOG_LEVEL. */
  logger?: Logger;
  /** The Prometheus metrics; by default made when SECURE_INBOX_METRICS_TOKEN is set, else none. */
  metrics?: Metrics | null;
  /** Whether the server takes work (`/readyz`); by default ready. */
  readiness?: Readiness;
}

export interface AppEnv {
  Variables: {
    viewer: Viewer;
    deps: Required<AppDeps>;
  };
}
