import type { Config } from './config.js';
import type { Db } from './db/client.js';
import type { MessageEffects } from './domain/messages.js';
import type { Writes } from './domain/writes.js';
import type { Viewer } from './domain/visibility.js';
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
}

export interface AppEnv {
  Variables: {
    viewer: Viewer;
    deps: Required<AppDeps>;
  };
}
