/** `pnpm serve`: the server alone, configured by the environment. */
import { loadConfig } from './config.js';
import { runOrExplain, startServer } from './server.js';

runOrExplain('Secure Inbox', () => startServer(loadConfig()));
