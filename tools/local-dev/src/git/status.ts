/**
 * One `git status --porcelain=v2 --branch` tells how a clone stands: HEAD, the branch, its upstream
 * and ahead/behind, and every changed or untracked file. A kept clone is asked this once instead
 * of running a git process per question (branch, head, dirty files, remote comparison), which is
 * most of what a no-op `up` spends in the clone task.
 */
import { git } from './git';

export interface WorkingTreeStatus {
  /** Full commit id of HEAD; undefined before the first commit. */
  oid: string | undefined;
  /** The checked-out branch; undefined when HEAD is detached. */
  branch: string | undefined;
  /** The branch's upstream as git names it (`origin/main`), when one is configured. */
  upstream: string | undefined;
  /** Commits ahead of / behind the upstream; undefined without an upstream or when it does not resolve. */
  aheadBehind: { ahead: number; behind: number } | undefined;
  /** Changed (staged or not) and untracked files, not ignored ones, as `git status` lists them. */
  changed: string[];
}

/** Fields before the path in each kind of porcelain v2 entry (see git-status(1)). */
const FIELDS_BEFORE_PATH: Record<string, number> = { '1': 8, '2': 9, u: 10, '?': 1 };

/** Parses `git status --porcelain=v2 --branch -z` output. Pure. */
export function parseStatusV2(output: string): WorkingTreeStatus {
  const status: WorkingTreeStatus = { oid: undefined, branch: undefined, upstream: undefined, aheadBehind: undefined, changed: [] };
  const records = output.split('\0');
  for (let index = 0; index < records.length; index++) {
    const record = records[index];
    if (record === '') continue;
    if (record.startsWith('# ')) {
      const [key, ...rest] = record.slice(2).split(' ');
      const value = rest.join(' ');
      if (key === 'branch.oid' && value !== '(initial)') status.oid = value;
      else if (key === 'branch.head' && value !== '(detached)') status.branch = value;
      else if (key === 'branch.upstream') status.upstream = value;
      else if (key === 'branch.ab') {
        const match = /^\+(\d+) -(\d+)$/.exec(value);
        if (match) status.aheadBehind = { ahead: Number(match[1]), behind: Number(match[2]) };
      }
      continue;
    }
    const before = FIELDS_BEFORE_PATH[record[0]];
    if (before === undefined) continue; // '!' (ignored) is never asked for
    status.changed.push(record.split(' ').slice(before).join(' '));
    // A rename or copy is followed by its original path as a record of its own.
    if (record[0] === '2') index++;
  }
  return status;
}

export async function readStatus(cwd: string): Promise<WorkingTreeStatus> {
  const { stdout } = await git(['status', '--porcelain=v2', '--branch', '-z', '--untracked-files=all'], { cwd });
  return parseStatusV2(stdout);
}
