/**
 * Nx as it ships, beside Nx as scripts/patch-nx.js patches it: a temp workspace whose nx is a
 * private copy of the installed one with one patch undone. For the control case of a patch's e2e
 * and for benchmarks' "before" figures; the installed node_modules/nx is never touched (other
 * runs use it at the same time).
 */
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT, type TempWorkspace } from './temp-workspace';

interface PatchNx {
  installedNx(): string;
  removePatches(nxRoot: string, id: string): void;
}

// A plain script (it runs at postinstall, before anything could compile it): required, not imported.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const patchNx = require(path.join(REPO_ROOT, 'scripts', 'patch-nx.js')) as PatchNx;

/**
 * Makes `workspace` run a copy of Nx without the patch `patchId` (an id in scripts/patch-nx.js):
 * its node_modules becomes a folder of links to this repo's packages, except nx (the copy) and
 * .bin/nx. Everything stays inside the workspace folder, removed with it.
 */
export function useNxWithoutPatch(workspace: TempWorkspace, patchId: string): void {
  const modules = path.join(workspace.root, 'node_modules');
  rmSync(modules, { recursive: false, force: true });
  mkdirSync(path.join(modules, '.bin'), { recursive: true });
  for (const entry of readdirSync(path.join(REPO_ROOT, 'node_modules'))) {
    if (entry !== 'nx' && entry !== '.bin') symlinkSync(path.join(REPO_ROOT, 'node_modules', entry), path.join(modules, entry));
  }
  const copy = path.join(modules, 'nx');
  cpSync(patchNx.installedNx(), copy, { recursive: true });
  patchNx.removePatches(copy, patchId);
  const { bin } = JSON.parse(readFileSync(path.join(copy, 'package.json'), 'utf8')) as { bin: { nx: string } };
  symlinkSync(path.join('..', 'nx', bin.nx), path.join(modules, '.bin', 'nx'));
}
