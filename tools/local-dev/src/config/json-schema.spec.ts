import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { configJsonSchemaText, JSON_SCHEMA_PATH } from './json-schema';

describe('config.schema.json', () => {
  it('is the one generated from the zod schema (run `npm run config-schema` after changing schema.ts)', () => {
    const committed = readFileSync(path.resolve(__dirname, '../../../..', JSON_SCHEMA_PATH), 'utf8');
    expect(committed).toBe(configJsonSchemaText());
  });

  it('describes the keys editors complete', () => {
    const schema = JSON.parse(configJsonSchemaText()) as { properties: { services: { additionalProperties: { properties: Record<string, { description?: string }> } } } };
    const service = schema.properties.services.additionalProperties.properties;
    expect(Object.keys(service)).toEqual(expect.arrayContaining(['repo', 'branch', 'depends-on', 'workers', 'configs', 'build-secrets']));
    expect(service.repo.description).toBe('Any git URL, local path or file:// URL');
  });

  it('documents redis.required as a boolean with its best-effort default', () => {
    const schema = JSON.parse(configJsonSchemaText()) as { properties: { redis: { properties: Record<string, { type?: string; description?: string }> } } };
    const required = schema.properties.redis.properties.required;
    expect(required.type).toBe('boolean');
    expect(required.description).toMatch(/false \(default\): the tunnel is best effort/);
  });
});
