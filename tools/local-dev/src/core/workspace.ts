/**
 * Where things live in a local-dev workspace. One object, built once at the edge from the
 * workspace root and passed down, so no module reads process.cwd() or globals.
 */
import * as path from 'node:path';

export interface WorkspacePaths {
  root: string;
  /** repos_docker_files/: config.yaml and the dev Dockerfiles. */
  dockerfiles: string;
  /** configs/: one folder per namespace with its secret files. */
  configs: string;
  /** cloned/: the service repos (gitignored). */
  cloned: string;
  /** logs/: run state, build logs, the tunnel's state file (gitignored). */
  logs: string;
  /** The generated docker-compose.yml. */
  composeFile: string;
}

export function workspacePaths(root: string): WorkspacePaths {
  return {
    root,
    dockerfiles: path.join(root, 'repos_docker_files'),
    configs: path.join(root, 'configs'),
    cloned: path.join(root, 'cloned'),
    logs: path.join(root, 'logs'),
    composeFile: path.join(root, 'docker-compose.yml'),
  };
}

/** Relative to the workspace root, with forward slashes: what users see in messages. */
export function displayPath(paths: WorkspacePaths, absolute: string): string {
  return path.relative(paths.root, absolute).split(path.sep).join('/') || '.';
}
