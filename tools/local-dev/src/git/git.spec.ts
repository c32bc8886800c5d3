/** How credentials reach git: the fixed askpass program, run for real as git runs it (no shell). */
import { execFileSync } from 'node:child_process';
import { credentialPassing } from './git';

const credentials = { username: 'x-access-token', password: "s3cret $(exit 7) 'quoted' \\n" };

function ask(prompt: string): string {
  const { env } = credentialPassing(credentials);
  return execFileSync(env.GIT_ASKPASS, [prompt], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

it("answers git's user name and password questions from the environment, byte for byte", () => {
  expect(ask("Username for 'https://github.com': ")).toBe('x-access-token\n');
  expect(ask("Password for 'https://x-access-token@github.com': ")).toBe(`${credentials.password}\n`);
});

it('refuses any other question', () => {
  expect(() => ask('Are you sure?')).toThrow(/unexpected question from git: Are you sure\?/);
});

it('passes nothing when the URL had no credentials, and only fixed text on the command line when it had', () => {
  expect(credentialPassing(undefined)).toEqual({ configArgs: [], env: {} });
  const passing = credentialPassing(credentials);
  expect(passing.configArgs).toEqual(['-c', 'credential.helper=']);
  expect(JSON.stringify(passing.configArgs)).not.toContain('s3cret');
});
