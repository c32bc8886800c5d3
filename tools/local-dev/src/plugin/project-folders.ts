/**
 * Nx cannot run tasks of a project whose root holds no file it can see (its task hasher finds no
 * files for it: "project … not found"), so every inferred project gets services/<name>/README.md.
 * The plugin itself writes nothing while Nx builds the graph; the `sync-project-folders` sync
 * generator (generators/sync-project-folders) writes missing READMEs before tasks run (`nx sync`,
 * or automatically: nx.json's `sync.applyChanges`), and the `service` generator writes its own.
 */
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

/** The README path of every project that lacks one, with the text to write: what `nx sync` adds. */
export function missingProjectReadmes(
  projects: Record<string, { name?: string; metadata?: { description?: string } }>,
  exists: (file: string) => boolean,
): { file: string; root: string; text: string }[] {
  return Object.entries(projects)
    .map(([root, project]) => ({ root, file: `${root}/README.md`, text: readmeFor(project.name ?? root, project.metadata?.description ?? '') }))
    .filter((readme) => !exists(readme.file));
}
