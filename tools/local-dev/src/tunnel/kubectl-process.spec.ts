/**
 * The spawn layer against tiny real processes (node -e scripts playing kubectl's output).
 */
import * as path from 'node:path';
import { classifyKubectlOutput } from './kubectl-errors';
import { liveCommandLine } from '../core/proc';
import { PortForwardError, startPortForward, type PortForwardProcess } from './kubectl-process';

const context = { namespace: 's1', deployment: 'redis', port: 6379 };
const started: PortForwardProcess[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((forward) => forward.stop()));
});

function run(script: string, readyTimeoutMs = 5000, lines: string[] = [], addresses: string[] = ['127.0.0.1']): PortForwardProcess {
  const forward = startPortForward({
    program: process.execPath,
    args: ['-e', script],
    env: process.env,
    context,
    addresses,
    readyTimeoutMs,
    onLine: (line) => lines.push(line),
  });
  started.push(forward);
  return forward;
}

async function failureOf(forward: PortForwardProcess): Promise<PortForwardError> {
  const error = await forward.ready.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(PortForwardError);
  return error as PortForwardError;
}

describe('startPortForward', () => {
  it('is ready on "Forwarding from", and stop() ends kubectl together with the children it started', async () => {
    const lines: string[] = [];
    const forward = run(
      `const c = require('child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
       console.log('child ' + c.pid); console.log('Forwarding from 127.0.0.1:6379 -> 6379'); setInterval(() => {}, 1000);`,
      5000,
      lines,
    );
    await forward.ready;
    const childPid = Number(lines.find((line) => line.startsWith('child '))?.split(' ')[1]);
    expect(liveCommandLine(childPid)).toBeDefined();

    await forward.stop();

    expect(liveCommandLine(forward.pid)).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(liveCommandLine(childPid)).toBeUndefined();
  });

  it("fails at once on a fatal stderr line, with kubectl's message and a fix", async () => {
    const forward = run(
      `console.error('Error from server (Forbidden): pods "redis-1" is forbidden: cannot create resource "pods/portforward"'); setInterval(() => {}, 1000);`,
    );
    const error = await failureOf(forward);
    expect(error.problem).toMatchObject({ kind: 'forbidden', permanent: true });
    expect(error.message).toContain('is forbidden');
    expect(error.fix).toContain('pods/portforward');
    await forward.exited;
  });

  it('fails when kubectl exits before forwarding, quoting its output', async () => {
    const error = await failureOf(run(`console.error('something odd'); process.exit(3);`));
    expect(error.problem).toMatchObject({ kind: 'unknown', permanent: false });
    expect(error.message).toContain('kubectl exited with code 3 before forwarding: something odd');
  });

  it('fails when kubectl stays silent past the ready timeout, and kills it', async () => {
    const forward = run('setInterval(() => {}, 1000);', 200);
    const error = await failureOf(forward);
    expect(error.message).toContain('did not print "Forwarding from" for 127.0.0.1 within 200 ms');
    await forward.exited;
    expect(liveCommandLine(forward.pid)).toBeUndefined();
  });

  it('is ready only once every address has its own "Forwarding from" line (kubectl binds them 0.4 s apart)', async () => {
    const lines: string[] = [];
    const forward = run(
      `console.log('Forwarding from 127.0.0.1:6379 -> 6379');
       setTimeout(() => console.log('Forwarding from 172.17.0.1:6379 -> 6379'), 400); setInterval(() => {}, 1000);`,
      5000,
      lines,
      ['127.0.0.1', '172.17.0.1'],
    );
    await forward.ready;
    // Had it been ready on the first line, the supervisor would PING 172.17.0.1 before it is bound.
    expect(lines).toEqual(['Forwarding from 127.0.0.1:6379 -> 6379', 'Forwarding from 172.17.0.1:6379 -> 6379']);
  });

  it('names the address that never got its line when the ready timeout passes', async () => {
    const forward = run(`console.log('Forwarding from 127.0.0.1:6379 -> 6379'); setInterval(() => {}, 1000);`, 2000, [], ['127.0.0.1', '172.17.0.1']);
    const error = await failureOf(forward);
    expect(error.message).toContain('did not print "Forwarding from" for 172.17.0.1 within 2000 ms');
  });

  it('the kubectl STAND-IN fails as a whole when one --address cannot be bound, like real kubectl, and that reads as a vanished bridge address', async () => {
    const standIn = path.join(__dirname, '../../e2e/fixtures/kubectl-stand-in/kubectl');
    // 192.0.2.1 (TEST-NET-1) is on no interface of this host: binding it fails like a removed docker0.
    const forward = startPortForward({
      program: standIn,
      args: ['-n', 's1', 'port-forward', 'deployment/redis', '--address', '127.0.0.1,192.0.2.1', '0:6379'],
      env: { ...process.env, STAND_IN_KUBECTL_TARGET: '127.0.0.1:1' },
      context,
      addresses: ['127.0.0.1', '192.0.2.1'],
      readyTimeoutMs: 5000,
      onLine: () => undefined,
    });
    started.push(forward);
    void forward.ready.catch(() => undefined); // judged by the exit below; its readiness may go either way
    const exit = await forward.exited;
    expect(exit.code).toBe(1);
    expect(classifyKubectlOutput(exit.outputTail, context)).toMatchObject({ kind: 'bind-address-gone', permanent: false });
  });

  it('says kubectl is not installed when the program does not exist', async () => {
    const forward = startPortForward({
      program: '/nonexistent/kubectl',
      args: [],
      env: process.env,
      context,
      addresses: ['127.0.0.1'],
      readyTimeoutMs: 1000,
      onLine: () => undefined,
    });
    const error = await failureOf(forward);
    expect(error.problem.kind).toBe('not-installed');
    expect(error.fix).toContain('install kubectl');
    await forward.exited;
  });
});
