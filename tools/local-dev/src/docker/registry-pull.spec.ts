/**
 * pull's watchdog against a registry that answers the manifest and then never sends the layer: a
 * small node HTTP server on 127.0.0.1 speaking just enough of the distribution v2 API, pulled by the
 * real engine (loopback registries are spoken to in plain HTTP by default).
 */
import { createHash } from 'node:crypto';
import { createServer, type ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pull } from './registry';

jest.setTimeout(60_000);

const sha = (data: string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

describe('pull: a registry that stops sending', () => {
  let server: Server;
  let host: string;
  const held: ServerResponse[] = [];
  const layer = sha('a layer that never comes');
  const imageConfig = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha('uncompressed')] }, config: {} });
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: imageConfig.length, digest: sha(imageConfig) },
    layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: 1_000_000, digest: layer }],
  });

  beforeAll(async () => {
    server = createServer((request, response) => {
      const url = request.url ?? '';
      if (url === '/v2/') return response.writeHead(200, { 'docker-distribution-api-version': 'registry/2.0' }).end('{}');
      if (url.includes('/manifests/')) {
        return response
          .writeHead(200, {
            'content-type': 'application/vnd.docker.distribution.manifest.v2+json',
            'docker-content-digest': sha(manifest),
            'content-length': manifest.length,
          })
          .end(request.method === 'HEAD' ? undefined : manifest);
      }
      if (url.endsWith(sha(imageConfig))) return response.writeHead(200, { 'content-length': imageConfig.length }).end(imageConfig);
      if (url.endsWith(layer)) {
        // The headers, then nothing: a registry (or a proxy) that stalled mid-transfer.
        response.writeHead(200, { 'content-length': 1_000_000, 'content-type': 'application/octet-stream' });
        response.flushHeaders();
        held.push(response);
        return;
      }
      response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const response of held) response.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('is ended when it makes no progress, with the reason, long before its cap', async () => {
    const started = Date.now();
    const result = await pull(`${host}/local-dev/stalled:abc`, 5 * 60_000, 3_000);
    expect(result).toEqual({ pulled: false, reason: 'no progress for 3 s: the registry stopped sending' });
    expect(held.length).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});
