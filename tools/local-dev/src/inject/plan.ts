/**
 * What inject-config writes into one clone for one namespace. Pure: the model and an inventory of
 * which source files exist go in; the list of files to write, the notes to print and every problem
 * come out (all of them, so a user fixes everything in one go).
 *
 * Four kinds of files, all invisible to git in the clone once written:
 *  - config:       configs/<ns>/<source> → <dest>, as config.yaml's `configs` entries say;
 *  - dockerfile:   each service's dev Dockerfile (repos_docker_files/<ns>/ first, else the shared
 *                  one) → the clone's root under its file name;
 *  - debug-config: configs/<ns>/debug-configs/<dir>/** → the same path in the clone, ".example"
 *                  dropped and placeholders filled in (a real file beats its .example);
 *  - build-ignore: `<Dockerfile>.dockerignore`, keeping the config files out of shareable images
 *                  (./build-ignore.ts, planned by inject-configs.ts once the clone's .dockerignore is read).
 *
 * Symlinks among the sources: the user's own (gitignored) files may be links to anywhere (a
 * password store, dotfiles) and are followed, each link named in the output with where it points.
 * Committed files — templates (*.example) and everything under repos_docker_files/ — must be real
 * files: a link committed there would copy whatever it points at on each engineer's machine
 * (~/.ssh/id_rsa) into their clones, and from there into images.
 */
import * as path from 'node:path';
import type { RepoModel, ServiceModel } from '../config/model';
import { checkDestLexically, normalizeDest } from './path-safety';
import { renderPlaceholders, type DebugPorts } from './placeholders';

export type InjectedKind = 'config' | 'dockerfile' | 'debug-config' | 'build-ignore';

export interface PlannedFile {
  dest: string;
  kind: InjectedKind;
  /** Workspace-relative path of what it comes from, for messages and the manifest. */
  origin: string;
  /** Copy this workspace-relative file, or write this text (rendered debug configs). */
  source: { type: 'file'; path: string } | { type: 'text'; text: string };
  /** Said after the file in the output, e.g. which Dockerfile was chosen and why. */
  note?: string;
}

export interface SourceLink {
  /** Workspace-relative path of the symlink (the file itself, or a folder on the way to it). */
  link: string;
  /** Where it leads, fully resolved. */
  target: string;
}

export interface Inventory {
  /** Files that exist, relative to configs/<ns>/ (including *.example ones, for hints). */
  configFiles: ReadonlySet<string>;
  /** Dockerfiles that exist, relative to repos_docker_files/ ("x.Dockerfile", "s2/x.Dockerfile"). */
  dockerfiles: ReadonlySet<string>;
  /** Every file under configs/<ns>/debug-configs/<dir>/, relative to that folder, with its text. */
  debugFiles: ReadonlyArray<{ path: string; text: string }>;
  /** For each source file reached through symlinks (workspace-relative, normalized): those links, outermost first. */
  links: ReadonlyMap<string, readonly SourceLink[]>;
}

export interface InjectionPlan {
  files: PlannedFile[];
  /** One line each: optional files skipped. */
  notes: string[];
  problems: string[];
}

export interface PlanInput {
  namespace: string;
  repo: RepoModel;
  /** The services built from this clone (owner first), for Dockerfiles and debug ports. */
  services: ServiceModel[];
  inventory: Inventory;
}

export const EXAMPLE_SUFFIX = '.example';

/**
 * Whether a workspace path is shared through the repo rather than the user's own: a template
 * (`*.example`, which configs/'s .gitignore lets through) or anything in repos_docker_files/.
 */
export function isCommittedPath(workspaceRelative: string): boolean {
  return workspaceRelative.startsWith('repos_docker_files/') || path.posix.basename(workspaceRelative).endsWith(EXAMPLE_SUFFIX);
}

export function planInjection({ namespace, repo, services, inventory }: PlanInput): InjectionPlan {
  const files: PlannedFile[] = [];
  const notes: string[] = [];
  const problems: string[] = [];
  const configsDir = `configs/${namespace}`;

  for (const entry of repo.configs) {
    const origin = `${configsDir}/${entry.source}`;
    const badSource = checkDestLexically(entry.source);
    if (badSource) {
      problems.push(`config source "${entry.source}" ${badSource.replace('the clone', `${configsDir}/`)} (repos_docker_files/config.yaml, ${repo.owner})`);
      continue;
    }
    if (!inventory.configFiles.has(entry.source)) {
      const template = inventory.configFiles.has(`${entry.source}${EXAMPLE_SUFFIX}`) ? ` — start from ${origin}${EXAMPLE_SUFFIX}` : '';
      if (entry.required)
        problems.push(`${origin} is missing: ${repo.owner} needs it (required: true) in namespace ${namespace}${template}; see configs/README.md`);
      else notes.push(`skipped ${origin} → ${entry.dest}: not present in namespace ${namespace} (optional)`);
      continue;
    }
    files.push({ dest: entry.dest, kind: 'config', origin, source: { type: 'file', path: origin } });
  }

  for (const service of services) {
    const namespaced = `${namespace}/${service.dockerfile}`;
    const chosen = inventory.dockerfiles.has(namespaced) ? namespaced : inventory.dockerfiles.has(service.dockerfile) ? service.dockerfile : undefined;
    if (!chosen) {
      problems.push(
        `no Dockerfile for ${service.name}: neither repos_docker_files/${namespaced} nor repos_docker_files/${service.dockerfile} exists (add one, or set dockerfile: in config.yaml)`,
      );
      continue;
    }
    const origin = `repos_docker_files/${chosen}`;
    const dest = path.posix.basename(service.dockerfile);
    // Services sharing one Dockerfile get it once (the same origin always lands on the same dest).
    if (files.some((file) => file.origin === origin)) continue;
    const note = `${service.name}; ${chosen === namespaced ? `namespace ${namespace} override` : `shared, no ${namespace}/ override`}`;
    files.push({ dest, kind: 'dockerfile', origin, source: { type: 'file', path: origin }, note });
  }

  const debug: DebugPorts = {
    owner: repo.owner,
    ports: new Map(services.flatMap((service) => (service.debug ? [[service.name, service.debug] as const] : []))),
  };
  const debugDir = `${configsDir}/debug-configs/${repo.dir}`;
  const realDebugFiles = new Set(inventory.debugFiles.map((file) => file.path));
  for (const file of [...inventory.debugFiles].sort((a, b) => a.path.localeCompare(b.path))) {
    const dest = file.path.endsWith(EXAMPLE_SUFFIX) ? file.path.slice(0, -EXAMPLE_SUFFIX.length) : file.path;
    // Your own (gitignored) copy wins over the committed template.
    if (dest !== file.path && realDebugFiles.has(dest)) continue;
    const origin = `${debugDir}/${file.path}`;
    const rendered = renderPlaceholders(file.text, origin, debug, namespace);
    problems.push(...rendered.problems);
    files.push({ dest, kind: 'debug-config', origin, source: { type: 'text', text: rendered.content } });
  }

  const followed = new Map<string, string>();
  const committedLinks = new Set<string>();
  for (const file of files) {
    for (const { link, target } of inventory.links.get(path.posix.normalize(file.origin)) ?? []) {
      if (isCommittedPath(link))
        committedLinks.add(
          `${link} is a symlink (to ${target}); committed files (*.example templates, repos_docker_files/) must be real files, so nothing from outside the repo lands in a clone: replace it with a real file (git rm ${link}, then add the template text), and keep your own copy in a file without .example (gitignored), which may be a symlink`,
        );
      else followed.set(link, target);
    }
  }
  problems.push(...committedLinks);
  notes.push(...[...followed].map(([link, target]) => `followed symlink ${link} → ${target}`));

  const seen = new Map<string, string>();
  for (const file of files) {
    const problem = checkDestLexically(file.dest);
    if (problem) {
      problems.push(`dest "${file.dest}" for ${file.origin} ${problem} (repos_docker_files/config.yaml, ${repo.owner})`);
      continue;
    }
    const key = normalizeDest(file.dest);
    const other = seen.get(key);
    if (other) problems.push(`${file.origin} and ${other} would both be written to cloned/${repo.dir}/${key}; change one dest`);
    seen.set(key, file.origin);
    file.dest = key;
  }
  return { files, notes, problems };
}
