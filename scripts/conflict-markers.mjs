// Fails when a tracked file still holds the markers a merge leaves in a conflict (Prettier does not read Markdown
// here, and a conflict in prose would otherwise land unnoticed).
import { spawnSync } from 'node:child_process';

const found = spawnSync('git', ['grep', '-nE', '^(<<<<<<<|>>>>>>>)( |$)', '--', '.', ':!scripts/conflict-markers.mjs'], { encoding: 'utf8' });
if (found.status === 0) {
  console.error(`Merge conflict markers left in:\n${found.stdout}`);
  process.exit(1);
}
// Outside a git checkout (an unpacked source archive) there is no merge to have left anything.
if (found.status !== 1 && !/not a git repository/.test(found.stderr ?? '')) {
  console.error(`git grep failed: ${found.stderr}`);
  process.exit(1);
}
