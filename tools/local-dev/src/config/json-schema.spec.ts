import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { configJsonSchemaText, JSON_SCHEMA_PATH } from './json-schema';
import { configSchema } from './schema';

describe('config.schema.json', () => {
  it('is the one generated from the zod schema (run `npm run config-schema` after changing schema.ts)', () => {
    const committed = readFileSync(path.resolve(__dirname, '../../../..', JSON_SCHEMA_PATH), 'utf8');
    expect(committed).toBe(configJsonSchemaText());
  });

  it('describes the keys editors complete', () => {
    const schema = JSON.parse(configJsonSchemaText()) as {
      properties: { services: { additionalProperties: { properties: Record<string, { description?: string }> } } };
    };
    const service = schema.properties.services.additionalProperties.properties;
    expect(Object.keys(service)).toEqual(expect.arrayContaining(['repo', 'branch', 'depends-on', 'workers', 'configs', 'build-secrets']));
    expect(service.repo.description).toBe(
      'Any git URL, local path or file:// URL; not starting with "-", no "<helper>::" remote helpers (ext:: runs commands)',
    );
  });

  it('documents redis.required as a boolean with its best-effort default', () => {
    const schema = JSON.parse(configJsonSchemaText()) as { properties: { redis: { properties: Record<string, { type?: string; description?: string }> } } };
    const required = schema.properties.redis.properties.required;
    expect(required.type).toBe('boolean');
    expect(required.description).toMatch(/false \(default\): the tunnel is best effort/);
  });
});

describe('the patterns editors check', () => {
  /** The parts of a JSON Schema property these tests read. */
  interface Property {
    pattern?: string;
    items?: { properties?: Record<string, Property>; anyOf?: Property[] };
  }
  const schema = JSON.parse(configJsonSchemaText()) as { properties: { services: { additionalProperties: { properties: Record<string, Property> } } } };
  const service = schema.properties.services.additionalProperties.properties;
  const configFile = service.configs.items?.properties ?? {};

  /** Whether local-dev accepts `value` for one key, everything else in the file being valid. */
  function accepted(key: 'repo' | 'branch' | 'dir' | 'dockerfile' | 'source' | 'dest' | 'port', value: string): boolean {
    const api: Record<string, unknown> = { repo: 'a.git' };
    if (key === 'source' || key === 'dest') api.configs = [{ source: 'ok.py', dest: 'ok.py', [key]: value }];
    else if (key === 'port') api.ports = [value];
    else api[key] = value;
    return configSchema.safeParse({ services: { api } }).success;
  }

  const samples = [
    'ok',
    'a/b.py',
    './a',
    '.env',
    '-x',
    '/abs',
    'a/../b',
    '..',
    'a b',
    'x;y',
    '`id`',
    '$(id)',
    '.git/x',
    'A/.GIT/x',
    'main..x',
    'x.lock',
    'ext::sh',
    'a\nb',
    '8000',
    '8000:80',
    '127.0.0.1:1:2/udp',
    '70000:1',
    '999.1.1.1:1:1',
    '1:2:3',
  ];

  it.each([
    ['repo', service.repo.pattern],
    ['branch', service.branch.pattern],
    ['dir', service.dir.pattern],
    ['dockerfile', service.dockerfile.pattern],
    ['source', configFile.source?.pattern],
    ['dest', configFile.dest?.pattern],
  ] as const)('%s: the JSON Schema pattern accepts exactly what local-dev accepts', (key, pattern) => {
    expect(pattern).toBeDefined();
    const editor = new RegExp(pattern ?? '');
    expect(samples.filter((value) => editor.test(value))).toEqual(samples.filter((value) => accepted(key, value)));
  });

  it('ports: the JSON Schema pattern flags every spec of the wrong shape (ranges are checked by local-dev alone)', () => {
    const pattern = service.ports.items?.anyOf?.find((option) => option.pattern)?.pattern;
    const editor = new RegExp(pattern ?? '');
    const wrongShape = samples.filter((value) => !editor.test(value));
    expect(wrongShape.filter((value) => accepted('port', value))).toEqual([]);
    expect(samples.filter((value) => accepted('port', value))).toEqual(['8000', '8000:80', '127.0.0.1:1:2/udp']);
  });
});
