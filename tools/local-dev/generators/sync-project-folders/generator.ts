/**
 * Sync generator (nx.json `sync.globalGenerators`): gives every project inferred from config.yaml
 * its services/<name>/README.md, so Nx can run its tasks (src/plugin/project-folders.ts says why).
 * Nx runs it before tasks (and writes the changes itself when `sync.applyChanges` is true), on
 * `nx sync`, and checks it with `nx sync:check` (CI). Reads and writes only through Nx's Tree, so
 * `--dry-run` and `sync:check` see exactly what it would do.
 */
import type { Tree } from '@nx/devkit';
import { CONFIG_PATH } from '../../src/config/paths';
import { parseConfigText } from '../../src/config/load';
import { inferProjects } from '../../src/plugin/infer';
import { missingProjectReadmes } from '../../src/plugin/project-folders';

export default function syncProjectFolders(tree: Tree): { outOfSyncMessage: string } | undefined {
  const text = tree.read(CONFIG_PATH, 'utf8');
  // No config.yaml: no services to give folders (the plugin reports the missing file itself).
  if (text === null) return undefined;
  const missing = missingProjectReadmes(inferProjects(parseConfigText(text, CONFIG_PATH)), (file) => tree.exists(file));
  for (const readme of missing) tree.write(readme.file, readme.text);
  if (missing.length === 0) return undefined;
  return {
    outOfSyncMessage: `${CONFIG_PATH} has services without a project folder (${missing.map((readme) => `${readme.root}/`).join(', ')}); Nx needs one to run their tasks. Commit the READMEs it writes.`,
  };
}
