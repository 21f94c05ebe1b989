/** `secure-inbox doctor` (`pnpm run doctor` in the repository): checks the configuration in the environment, one line per check; exit code 1 when any fails. */
import { runDoctor } from './doctor.js';

process.exitCode = await runDoctor(process.env);
