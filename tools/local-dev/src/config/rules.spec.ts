/** The cross-field rules of rules.ts, through the loader, as a user sees their problems. */
import { ConfigError, type ConfigProblem } from '../core/errors';
import { parseConfigText } from './load';

const FILE = 'repos_docker_files/config.yaml';
const yaml = (lines: string[]) => `${lines.join('\n')}\n`;

function problemsOf(text: string): ConfigProblem[] {
  try {
    parseConfigText(text, FILE);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('host ports', () => {
  it('lets one host port carry TCP and UDP (DNS on 5353:53 and 5353:53/udp)', () => {
    const text = yaml(['services:', '  dns:', '    repo: dns.git', '    ports: ["5353:53", "5353:53/udp"]']);
    expect(problemsOf(text)).toEqual([]);
    expect(parseConfigText(text, FILE).services[0].ports.map((port) => `${port.host}/${port.protocol}`)).toEqual(['5353/tcp', '5353/udp']);
  });

  it('refuses the same host port and protocol twice, across services', () => {
    const problems = problemsOf(yaml(['services:', '  dns:', '    repo: dns.git', '    ports: ["5353:53/udp"]', '  other:', '    repo: other.git', '    ports: ["5353:54/udp"]']));
    expect(problems).toEqual([
      { file: FILE, line: 7, message: 'host port 5353 of other is already published by dns', fix: 'publish other on another host port, e.g. "5354:54"' },
    ]);
  });
});

describe('reserved names', () => {
  it('refuses a service named like one of local-dev’s own projects (stack, docker-compose, redis-tunnel)', () => {
    const problems = problemsOf(yaml(['services:', '  stack:', '    repo: stack.git']));
    expect(problems).toEqual([
      { file: FILE, line: 2, message: '"stack" is reserved for local-dev\'s own project', fix: 'rename the service (reserved: redis-tunnel, docker-compose, stack)' },
    ]);
  });
});
