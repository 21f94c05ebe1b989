// The writer thread's entry (store/sqlite/writer-thread.ts): loads TypeScript, then the thread's own module.
import { register } from 'tsx/esm/api';

register();
await import('./writer-worker.ts');
