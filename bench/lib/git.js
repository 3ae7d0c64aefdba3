// The commit the benchmarks ran on, and whether the work tree had changes to sluice itself.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function gitCommit() {
  // Another build of sluice (SLUICE=...): its commit is what SLUICE_COMMIT says, if anything.
  if (process.env.SLUICE) return process.env.SLUICE_COMMIT ? `${process.env.SLUICE_COMMIT} (SLUICE build)` : 'unknown (SLUICE build)';
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'js/src'], { cwd: root, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head} (src/ or js/src/ modified)` : head;
  } catch {
    return null;
  }
}
