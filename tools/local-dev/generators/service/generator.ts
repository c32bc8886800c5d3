/**
 * `nx g @local-dev/nx-plugin:service <name> --repo <url> [--port 8000:8000] [--debug-port 5678]
 *  [--worker-of <service>] [--dockerfile-from <service>] [--secret <file>:<dest>]` and
 * `nx g @local-dev/nx-plugin:worker <name> --worker-of <service>`.
 *
 * Adds the entry to repos_docker_files/config.yaml (comments, order and anchors kept, validated as a
 * run validates it: ./edit-config.ts), writes the dev Dockerfile (a copy of another service's with
 * --dockerfile-from, else a template to fill in), a `configs/<ns>/<file>.example` template in every
 * namespace for each --secret, and the project folder Nx needs, so `nx run <name>:up` works next
 * with no other command. Everything goes through Nx's Tree: `--dry-run` writes nothing and prints
 * the change to config.yaml.
 */
import { logger, type Tree } from '@nx/devkit';
import { UsageError, isLocalDevError } from '../../src/core/errors';
import { CONFIG_PATH } from '../../src/config/paths';
import { inferProjects } from '../../src/plugin/infer';
import { missingProjectReadmes } from '../../src/plugin/project-folders';
import { addServiceToConfig, describeChange, type NewService } from './edit-config';
import type { ServiceGeneratorSchema } from './schema';

const DOCKERFILES = 'repos_docker_files';

/** The options with nothing left to decide: repeated flags as lists, secrets split. */
export function normalizeOptions(options: ServiceGeneratorSchema): NewService {
  if (!options.workerOf && !options.repo)
    throw new UsageError(`--repo is required for a service (its git URL)`, { fix: 'pass --repo <url>, or --worker-of <service> for a worker' });
  if (options.workerOf && options.repo)
    throw new UsageError("a worker has no repo of its own: it is built from its owner's clone", { fix: 'drop --repo, or drop --worker-of' });
  const list = (value: string | string[] | undefined) =>
    (value === undefined ? [] : Array.isArray(value) ? value : [value])
      .flatMap((item) => item.split(','))
      .map((item) => item.trim())
      .filter(Boolean);
  const configs = list(options.secret).map((spec) => {
    const [source, dest, ...rest] = spec.split(':');
    if (!source || !dest || rest.length > 0)
      throw new UsageError(`--secret ${spec}: expected <file>:<dest in the clone>`, { fix: 'e.g. --secret payments_secrets.py:app/secrets.py' });
    return { source, dest };
  });
  return {
    name: options.name,
    workerOf: options.workerOf,
    repo: options.repo,
    branch: options.branch,
    ports: list(options.port),
    debugPort: options.debugPort,
    healthPath: options.healthPath,
    configs,
  };
}

/** A dev Dockerfile to start from: the clone is the build context, the container runs until replaced. */
export function dockerfileTemplate(service: NewService): string {
  const port = service.ports[0]?.split(':').pop()?.replace(/\/.*/, '');
  return [
    `# Dev image of ${service.name}. The build context is the service's clone (cloned/<dir>/); injected`,
    '# secret files and debug configs are already in it. Replace the base image and the command with',
    "# the service's own (see the other *.dev.Dockerfile files here for Django, Go and Node examples).",
    'FROM debian:bookworm-slim',
    'WORKDIR /app',
    'COPY . /app',
    ...(port ? [`EXPOSE ${port}`] : []),
    ...(service.debugPort !== undefined ? [`# DEBUG_PORT=${service.debugPort} is set at run time: start your debugger on it.`] : []),
    `CMD ["sh", "-c", "echo '${service.name}: replace CMD in ${DOCKERFILES}/${service.name}.dev.Dockerfile'; exec sleep infinity"]`,
    '',
  ].join('\n');
}

function namespaces(tree: Tree): string[] {
  return tree.children('configs').filter((name) => !tree.isFile(`configs/${name}`));
}

function generate(tree: Tree, options: ServiceGeneratorSchema): void {
  const service = normalizeOptions(options);
  const before = tree.read(CONFIG_PATH, 'utf8');
  if (before === null) throw new UsageError(`${CONFIG_PATH} does not exist`, { fix: 'run the generator at the root of a local-dev workspace' });
  const { text, model } = addServiceToConfig(before, service);
  tree.write(CONFIG_PATH, text);

  const added = model.services.find((candidate) => candidate.name === service.name);
  if (!added) throw new Error(`model invariant broken: ${service.name} missing after it was added`);
  const dockerfile = `${DOCKERFILES}/${added.dockerfile}`;
  if (tree.exists(dockerfile)) {
    logger.info(`${dockerfile} exists: kept as it is`);
  } else if (options.dockerfileFrom) {
    const source = model.services.find((candidate) => candidate.name === options.dockerfileFrom);
    if (!source)
      throw new UsageError(`--dockerfile-from ${options.dockerfileFrom}: no such service in ${CONFIG_PATH}`, {
        fix: `name one of: ${model.services.map((s) => s.name).join(', ')}`,
      });
    const content = tree.read(`${DOCKERFILES}/${source.dockerfile}`, 'utf8');
    if (content === null) throw new UsageError(`--dockerfile-from ${source.name}: ${DOCKERFILES}/${source.dockerfile} does not exist`);
    tree.write(dockerfile, content);
  } else {
    tree.write(dockerfile, dockerfileTemplate(service));
  }

  for (const namespace of namespaces(tree)) {
    for (const file of service.configs) {
      const template = `configs/${namespace}/${file.source}.example`;
      if (!tree.exists(template)) {
        tree.write(
          template,
          `# Template of ${file.source} for ${service.name} in ${namespace}: copy it to configs/${namespace}/${file.source} (gitignored), fill in the real values.\n`,
        );
      }
    }
  }
  for (const readme of missingProjectReadmes(inferProjects(model), (file) => tree.exists(file))) tree.write(readme.file, readme.text);

  logger.info(describeChange(CONFIG_PATH, before, text));
  const debug = added.debug ? `; its debugger: localhost:${added.debug.hostPort}` : '';
  logger.info(`next: npx nx run ${service.name}:up${debug}`);
}

/** Nx prints a thrown error's message: a LocalDevError gets its message and fix, no stack. */
function withPlainErrors(tree: Tree, options: ServiceGeneratorSchema): void {
  try {
    generate(tree, options);
  } catch (error) {
    if (!isLocalDevError(error)) throw error;
    const plain = new Error(error.describe());
    plain.stack = plain.message;
    throw plain;
  }
}

/** Both `service` and `worker` (whose schema makes --worker-of required and has no --repo). */
export default function serviceGenerator(tree: Tree, options: ServiceGeneratorSchema): void {
  withPlainErrors(tree, options);
}
