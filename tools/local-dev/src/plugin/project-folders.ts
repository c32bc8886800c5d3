/**
 * Nx cannot run tasks of a project whose root holds no file it can see, so every inferred project
 * gets services/<name>/README.md. The plugin writes missing ones while computing the graph, so a
 * service added to config.yaml gets its folder on the next `nx` command of any kind.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

export function readmeFor(name: string, description: string): string {
  return [
    `# ${name}`,
    '',
    description,
    '',
    'This folder is the Nx project root local-dev infers for it from repos_docker_files/config.yaml;',
    `\`npx nx show project ${name}\` lists its targets. Created by local-dev: keep this file committed.`,
    '',
  ].join('\n');
}

/** Writes the README of every project folder that lacks one; returns the roots it created. */
export function ensureProjectFolders(workspaceRoot: string, projects: Record<string, { name?: string; metadata?: { description?: string } }>): string[] {
  const created: string[] = [];
  for (const [root, project] of Object.entries(projects)) {
    const readme = path.join(workspaceRoot, root, 'README.md');
    if (existsSync(readme)) continue;
    mkdirSync(path.dirname(readme), { recursive: true });
    writeFileSync(readme, readmeFor(project.name ?? root, project.metadata?.description ?? ''));
    created.push(root);
  }
  return created;
}
