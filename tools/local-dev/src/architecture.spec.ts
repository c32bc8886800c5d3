/**
 * The house rule of src/: libraries (core, config, git, inject, docker, compose, tunnel, …) never call
 * sideways, and what happens on clone / up lives one floor above them, in tasks/. So no two folders
 * of src/ import each other: a pair that did would be one idea split across two folders, or a
 * library reaching up into orchestration. Read from the sources, so it stays true.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

const SRC = __dirname;

/** folder → the other folders of src/ its runtime modules import (specs may import anything). */
function folderImports(): Map<string, Map<string, string[]>> {
  const graph = new Map<string, Map<string, string[]>>();
  for (const folder of readdirSync(SRC, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)) {
    const targets = new Map<string, string[]>();
    for (const file of readdirSync(path.join(SRC, folder)).filter((name) => name.endsWith('.ts') && !name.endsWith('.spec.ts'))) {
      const text = readFileSync(path.join(SRC, folder, file), 'utf8');
      for (const match of text.matchAll(/from '\.\.\/([a-z-]+)\//g)) {
        const target = match[1];
        targets.set(target, [...(targets.get(target) ?? []), `${folder}/${file}`]);
      }
      for (const match of text.matchAll(/(?:import|require)\(['"]\.\.\/([a-z-]+)\//g)) {
        const target = match[1];
        targets.set(target, [...(targets.get(target) ?? []), `${folder}/${file}`]);
      }
    }
    graph.set(folder, targets);
  }
  return graph;
}

describe('the import graph of tools/local-dev/src', () => {
  const graph = folderImports();

  it('has no two folders that import each other', () => {
    const pairs: string[] = [];
    for (const [folder, targets] of graph) {
      for (const [target, files] of targets) {
        const back = graph.get(target)?.get(folder);
        if (back && folder < target) pairs.push(`${folder} ↔ ${target}: ${[...new Set(files)].join(', ')} / ${[...new Set(back)].join(', ')}`);
      }
    }
    expect(pairs).toEqual([]);
  });

  it('has no cycle of folders at all (a → b → c → a is one idea split three ways just the same)', () => {
    const cycles: string[] = [];
    const visit = (folder: string, path: string[]) => {
      for (const target of graph.get(folder)?.keys() ?? []) {
        if (target === path[0]) cycles.push([...path, target].join(' → '));
        else if (!path.includes(target) && target > path[0]) visit(target, [...path, target]);
      }
    };
    // Each cycle is found once, from its smallest folder name.
    for (const folder of [...graph.keys()].sort()) visit(folder, [folder]);
    expect(cycles).toEqual([]);
  });

  it('keeps orchestration above the libraries: no library folder imports tasks/', () => {
    const above = new Set(['tasks', 'stack', 'dashboard', 'plugin']);
    const reachingUp = [...graph]
      .filter(([folder, targets]) => !above.has(folder) && targets.has('tasks'))
      .map(([folder, targets]) => `${folder}: ${targets.get('tasks')?.join(', ')}`);
    expect(reachingUp).toEqual([]);
  });

  it('sees the imports it checks (a parser that found nothing would pass anything)', () => {
    expect(graph.get('docker')?.has('core')).toBe(true);
    expect(graph.size).toBeGreaterThan(8);
  });
});
