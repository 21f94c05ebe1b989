import type { Config } from './config.js';
import type { Db } from './db/client.js';
import type { MessageEffects } from './domain/messages.js';
import type { Viewer } from './domain/visibility.js';

/** What the app is built from; tests pass their own. */
export interface AppDeps {
  db: Db;
  config: Config;
  effects?: MessageEffects;
}

export interface AppEnv {
  Variables: {
    viewer: Viewer;
    deps: Required<AppDeps>;
  };
}
