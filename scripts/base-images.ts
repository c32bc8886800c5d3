/**
 * `node -r @swc-node/register scripts/base-images.ts [image…]`: makes sure base images exist on this
 * machine (tools/local-dev/src/docker/base-image.ts): one that is there is left as it is; a missing
 * one is pulled, or, for Debian's own images, made from Debian's packages where no registry answers.
 * Without arguments: the images the demo's Dockerfiles start FROM. scripts/setup-machine.sh runs it.
 */
import { describeFailure } from '../tools/local-dev/src/core/edge';
import { baseImagesOf, ensureBaseImage } from '../tools/local-dev/src/docker/base-image';
import { demoDockerfiles } from './demo';

async function main(images: string[]): Promise<void> {
  const wanted = images.length > 0 ? images : [...new Set(demoDockerfiles().flatMap(baseImagesOf))];
  for (const image of wanted) {
    const outcome = await ensureBaseImage(image, (line) => process.stdout.write(`[base-images] ${line}\n`));
    const how = outcome.how === 'present' ? 'already here (left as it is)' : outcome.how === 'pulled' ? 'pulled' : "made from Debian's packages";
    process.stdout.write(`[base-images] ${image}: ${how} (${outcome.seconds.toFixed(1)} s)\n`);
  }
}

// The one place an error becomes output and an exit code.
main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${describeFailure('base images', error)}\n`);
    process.exit(1);
  },
);
