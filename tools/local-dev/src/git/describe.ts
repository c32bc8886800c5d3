import { redactCredentials } from '../core/redact';

/**
 * What the clone task tells the user about each repo, one short line per fact. Pure.
 * (No credential of a repo URL is ever printed: ../core/redact.ts.)
 *
 * Users read this every morning: it must say what was done ("switched master → develop"), what
 * was left alone ("kept local changes: 3 files") and how the clone stands against the remote
 * ("behind origin/master by 4 — --refresh updates it"), and nothing more.
 */

export type CloneAction =
  { type: 'cloned'; url: string } | { type: 'kept' } | { type: 'switched'; from: string } | { type: 'refreshed'; backup?: BackupSummary };

export interface BackupSummary {
  /** refs/local-dev/backup/<time> */
  ref: string;
  localCommits: number;
  changedFiles: number;
  /** Ignored files the checkout would have overwritten (the target branch tracks them). */
  ignoredFiles: number;
  /** Commands (already prefixed with `git -C cloned/<dir>`) that bring the work back. */
  restoreCommands: string[];
  extraRefs: string[];
}

export interface RemoteComparison {
  /** origin/<branch> */
  upstream: string;
  ahead: number;
  behind: number;
}

export interface CloneStatus {
  action: CloneAction;
  branch: string;
  head: string;
  /** Uncommitted + untracked files, injected files excluded (they are invisible to git). */
  changedFiles: number;
  /** undefined when the remote could not be asked and no earlier fetch exists. */
  remote?: RemoteComparison;
  /** The fetch answered that origin has no such branch (not merely: the fetch failed). */
  remoteBranchMissing?: boolean;
  /** Why the remote could not be asked (offline work goes on; this is a warning). */
  fetchWarning?: string;
  /** Set when a fetch this recent was reused instead of asking the remote again. */
  fetchedAgoMs?: number;
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

export function describeRemote(remote: RemoteComparison): string {
  const { upstream, ahead, behind } = remote;
  if (ahead === 0 && behind === 0) return `up to date with ${upstream}`;
  if (behind === 0) return `ahead of ${upstream} by ${plural(ahead, 'commit')}`;
  const update = ' — --refresh updates it (your local work is saved first)';
  if (ahead === 0) return `behind ${upstream} by ${plural(behind, 'commit')}${update}`;
  return `ahead of ${upstream} by ${plural(ahead, 'commit')} and behind by ${behind}${update}`;
}

export function describeCloneStatus(status: CloneStatus): string[] {
  const lines: string[] = [];
  const { action } = status;
  switch (action.type) {
    case 'cloned':
      lines.push(`cloned ${redactCredentials(action.url)} at ${status.branch} (${status.head})`);
      break;
    case 'kept':
      lines.push(`kept ${status.branch} at ${status.head} as it is (nothing pulled without --refresh)`);
      break;
    case 'switched':
      lines.push(`switched ${action.from} → ${status.branch} (${status.head})`);
      break;
    case 'refreshed':
      lines.push(`refreshed to origin/${status.branch} (${status.head})`);
      if (!action.backup) lines.push('no local work to save');
      else lines.push(...describeBackup(action.backup));
      break;
  }
  if (status.changedFiles > 0) lines.push(`kept local changes: ${plural(status.changedFiles, 'file')}`);
  if (status.fetchWarning)
    lines.push(
      `⚠ could not ask the remote (${redactCredentials(status.fetchWarning)}); working offline${status.remote ? ', comparing with the last fetch' : ''}`,
    );
  if (status.remote) {
    const age = status.fetchedAgoMs === undefined ? '' : ` (as fetched ${Math.round(status.fetchedAgoMs / 1000)} s ago)`;
    lines.push(`${describeRemote(status.remote)}${age}`);
  } else if (status.remoteBranchMissing) lines.push(`origin has no branch ${status.branch}: it exists only in this clone`);
  else if (status.fetchWarning) lines.push(`not compared with origin/${status.branch}: this clone has never fetched it`);
  return lines;
}

export function describeBackup(backup: BackupSummary): string[] {
  const what = [
    backup.localCommits > 0 ? plural(backup.localCommits, 'local commit') : undefined,
    backup.changedFiles > 0 ? `${plural(backup.changedFiles, 'changed file')} (uncommitted and untracked)` : undefined,
    backup.ignoredFiles > 0 ? `${plural(backup.ignoredFiles, 'ignored file')} the new checkout overwrites` : undefined,
  ].filter(Boolean);
  return [
    `saved your local work (${what.join(' and ')}) in ${backup.ref} and as a git stash`,
    ...backup.extraRefs.map((ref) => `saved local branch commits not on origin in ${ref}`),
    'to get it back:',
    ...backup.restoreCommands.map((command) => `  ${command}`),
  ];
}
