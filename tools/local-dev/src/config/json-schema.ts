/**
 * config.yaml's JSON Schema, generated from the same zod schema that validates it, so editors
 * (VS Code's YAML extension via the `yaml-language-server` comment at the top of config.yaml) offer
 * completion and hover help that can never disagree with local-dev.
 *
 *   npm run config-schema    # rewrites repos_docker_files/config.schema.json
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { configSchema } from './schema';

export const JSON_SCHEMA_PATH = 'repos_docker_files/config.schema.json';

export function configJsonSchemaText(): string {
  const schema = z.toJSONSchema(configSchema, { io: 'input' });
  return `${JSON.stringify({ ...schema, title: 'local-dev service catalog (repos_docker_files/config.yaml)' }, null, 2)}\n`;
}

if (require.main === module) {
  const target = path.resolve(__dirname, '../../../..', JSON_SCHEMA_PATH);
  writeFileSync(target, configJsonSchemaText());
  process.stdout.write(`wrote ${JSON_SCHEMA_PATH}\n`);
}
