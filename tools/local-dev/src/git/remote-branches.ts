/** Branches on a remote, for "branch X does not exist — closest: …" messages. */
import { closest } from '../core/did-you-mean';
import { git, type RemoteOptions } from './git';

export function parseHeads(lsRemoteOutput: string): string[] {
  return lsRemoteOutput
    .split('\n')
    .map((line) => /\trefs\/heads\/(.+)$/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined);
}

/** The remote's branches closest to `branch` (up to 5). */
export async function closestRemoteBranches(remote: string, branch: string, cwd: string, options: RemoteOptions = {}): Promise<string[]> {
  const { stdout } = await git(['ls-remote', '--heads', '--', remote], { cwd, ...options });
  return closest(branch, parseHeads(stdout), 5);
}

/** The remote's default branch (what its HEAD points at), as `git clone` would pick it. */
export async function remoteDefaultBranch(remote: string, cwd: string, options: RemoteOptions = {}): Promise<string | undefined> {
  const { stdout } = await git(['ls-remote', '--symref', '--', remote, 'HEAD'], { cwd, ...options });
  return /^ref: refs\/heads\/(\S+)\tHEAD$/m.exec(stdout)?.[1];
}
