/**
 * Debugger clients for the demo's e2e, driven as an IDE drives them, through the host port local-dev
 * published and with the launch configuration it injected into the clone:
 *
 *  - debugpy and delve through the Debug Adapter Protocol (@vscode/debugadapter-testsupport's
 *    DebugClient connected to the port, as VS Code's Python and Go extensions connect);
 *  - the Node inspector through the Chrome DevTools Protocol (chrome-remote-interface, as VS Code's
 *    js-debug does).
 *
 * Each one: attach, set a breakpoint on a line of a request handler, send the request, wait for the
 * stop at that line, read the handler's local variables, continue, and return the stop and the
 * response the request then completed with. Nothing here is a stand-in: the debuggers run in the
 * demo's containers.
 */
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import CDP from 'chrome-remote-interface';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/** One configuration of an injected .vscode/launch.json. */
export type LaunchConfiguration = Record<string, unknown> & { name: string; type: string; request: string };

/** Where the debugger stopped, with the frame's local variables (name → value as the debugger shows it). */
export interface Stop {
  file: string;
  line: number;
  locals: Record<string, string>;
}

export interface DebugRound {
  stop: Stop;
  /** debugpy across reloads: when the server process of this round announced itself (Date.now()). */
  announcedAt?: number;
  /** The HTTP response the request completed with after `continue`. */
  response: { status: number; body: string };
}

const STEP_MS = 30_000;

/** Rejects with `what` when `promise` takes longer than `ms` (DebugClient has no timeouts when connected to a port). */
export function within<T>(promise: Promise<T>, what: string, ms = STEP_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The injected .vscode/launch.json of a clone (plain JSON, as the demo's templates are) and its one configuration. */
export function launchConfiguration(clone: string): LaunchConfiguration {
  const launch = JSON.parse(readFileSync(path.join(clone, '.vscode', 'launch.json'), 'utf8')) as { configurations: LaunchConfiguration[] };
  if (launch.configurations.length !== 1) throw new Error(`${clone}/.vscode/launch.json: expected one configuration, found ${launch.configurations.length}`);
  return launch.configurations[0];
}

/** VS Code's ${workspaceFolder}, as it fills it in when the clone is the opened folder. */
export function resolveWorkspaceFolder<T>(value: T, clone: string): T {
  return JSON.parse(JSON.stringify(value).split('${workspaceFolder}').join(clone)) as T;
}

/** 1-based number of the first line of `file` that contains `text`. */
export function lineOf(file: string, text: string): number {
  const index = readFileSync(file, 'utf8')
    .split('\n')
    .findIndex((line) => line.includes(text));
  if (index < 0) throw new Error(`${file} has no line with ${JSON.stringify(text)}`);
  return index + 1;
}

async function request(url: string, method = 'GET'): Promise<{ status: number; body: string }> {
  const response = await fetch(url, { method, signal: AbortSignal.timeout(60_000) });
  return { status: response.status, body: await response.text() };
}

/** Until GET `url` answers 2xx, asked every 100 ms. */
async function untilAnswering(url: string, what: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await fetch(url, { signal: AbortSignal.timeout(2000) }).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${what}: no answer within ${ms / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A DAP session on a debugger's port: initialize, attach with `attach`, breakpoints, configurationDone. */
async function dapSession(
  port: number,
  adapterID: string,
  attach: Record<string, unknown>,
  breakpoint: { file: string; line: number },
  onClient?: (client: DebugClient) => void,
): Promise<DebugClient> {
  const client = new DebugClient('unused', 'unused', adapterID);
  onClient?.(client);
  await within(client.start(port), `${adapterID}: connect to 127.0.0.1:${port}`);
  await within(
    client.initializeRequest({ adapterID, clientID: 'local-dev-e2e', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' }),
    `${adapterID}: initialize`,
  );
  const initialized = client.waitForEvent('initialized');
  const attached = client.attachRequest(attach as DebugProtocol.AttachRequestArguments);
  await within(initialized, `${adapterID}: initialized event`);
  const set = await within(
    client.setBreakpointsRequest({ source: { path: breakpoint.file }, breakpoints: [{ line: breakpoint.line }] }),
    `${adapterID}: setBreakpoints`,
  );
  if (!set.body.breakpoints[0]?.verified)
    throw new Error(`${adapterID}: breakpoint at ${breakpoint.file}:${breakpoint.line} not verified: ${JSON.stringify(set.body)}`);
  await within(client.configurationDoneRequest(), `${adapterID}: configurationDone`);
  await within(attached, `${adapterID}: attach`);
  return client;
}

/** After `stopped`: the top frame, its locals, then continue; resolves when the request has completed. */
async function readStopAndContinue(
  client: DebugClient,
  stopped: Promise<DebugProtocol.Event>,
  response: Promise<{ status: number; body: string }>,
  what: string,
): Promise<DebugRound> {
  const event = (await within(stopped, `${what}: stopped event after the request`)) as DebugProtocol.StoppedEvent;
  const threadId = event.body.threadId ?? 0;
  const frames = await within(client.stackTraceRequest({ threadId, startFrame: 0, levels: 1 }), `${what}: stackTrace`);
  const top = frames.body.stackFrames[0];
  const scopes = await within(client.scopesRequest({ frameId: top.id }), `${what}: scopes`);
  const variables = await within(client.variablesRequest({ variablesReference: scopes.body.scopes[0].variablesReference }), `${what}: variables`);
  const stop = {
    file: top.source?.path ?? '',
    line: top.line,
    locals: Object.fromEntries(variables.body.variables.map((variable) => [variable.name, variable.value])),
  };
  await within(client.continueRequest({ threadId }), `${what}: continue`);
  return { stop, response: await within(response, `${what}: the request after continue`, 60_000) };
}

/**
 * debugpy: attach as VS Code does with the injected configuration. runserver's autoreload runs the
 * server in a child process, which debugpy announces with `debugpyAttach`: the client attaches to it
 * on the same port (VS Code does the same), and the breakpoint is hit there. A server run with
 * --noreload (`autoreload: false`) is the process attached to: the breakpoint is hit in that session.
 */
export async function debugpyRound(
  configuration: LaunchConfiguration,
  clone: string,
  breakpoint: { file: string; line: number },
  url: string,
  { autoreload = true }: { autoreload?: boolean } = {},
): Promise<DebugRound> {
  if (!autoreload) {
    const attach = resolveWorkspaceFolder(configuration, clone);
    const session = await dapSession((attach.connect as { port: number }).port, 'debugpy', attach, breakpoint);
    try {
      return await readStopAndContinue(session, session.waitForEvent('stopped'), request(url), 'debugpy');
    } finally {
      await within(session.stop(), 'debugpy: detach');
    }
  }
  const rounds = await debugpyAcrossReloads(configuration, clone, breakpoint, url, []);
  return rounds[0];
}

/**
 * debugpy across runserver's reloads, as an IDE lives through them: the session on runserver's
 * parent process stays connected; each server process runserver starts (the first, then one after
 * each reload a `change` causes) announces itself with `debugpyAttach` and is attached to with the
 * same breakpoint, as VS Code sends its breakpoints to every new child session. One round on the
 * first server, then one after each change.
 */
export async function debugpyAcrossReloads(
  configuration: LaunchConfiguration,
  clone: string,
  breakpoint: { file: string; line: number },
  url: string,
  changes: (() => Promise<void>)[],
  /** A page without the breakpoint, asked until it answers before each round's request: a reloaded server attached to still starts up (the request would meet a closed port). */
  readyUrl?: string,
): Promise<DebugRound[]> {
  const attach = resolveWorkspaceFolder(configuration, clone);
  const port = (attach.connect as { port: number }).port;
  const announced: { event: DebugProtocol.Event; at: number }[] = [];
  let wake: (() => void) | undefined;
  const parent = await dapSession(port, 'debugpy', attach, breakpoint, (client) =>
    client.on('debugpyAttach', (event: DebugProtocol.Event) => {
      announced.push({ event, at: Date.now() });
      wake?.();
    }),
  );
  const nextServer = (what: string) =>
    within(
      new Promise<{ event: DebugProtocol.Event; at: number }>((resolve) => {
        // The latest server: one that a second reload already ended cannot be attached to.
        const take = () => {
          const event = announced.pop();
          announced.length = 0;
          if (event) resolve(event);
          else wake = take;
        };
        take();
      }),
      `debugpy: ${what} (debugpyAttach)`,
      60_000,
    );
  const roundOnNextServer = async (what: string) => {
    const { event, at } = await nextServer(what);
    const child = await dapSession(port, 'debugpy', event.body as Record<string, unknown>, breakpoint);
    try {
      if (readyUrl) await untilAnswering(readyUrl, `debugpy: ${readyUrl} after attaching to ${what}`);
      return { ...(await readStopAndContinue(child, child.waitForEvent('stopped'), request(url), 'debugpy')), announcedAt: at };
    } finally {
      await within(child.stop(), 'debugpy: detach from the server process');
    }
  };
  try {
    const rounds = [await roundOnNextServer('the server process')];
    for (const change of changes) {
      await change();
      rounds.push(await roundOnNextServer('the server process started after the reload'));
    }
    return rounds;
  } finally {
    await within(parent.stop(), 'debugpy: detach');
  }
}

/** delve: attach in "remote" mode to the headless server with the injected substitutePath, as VS Code's Go extension does. */
export async function delveRound(
  configuration: LaunchConfiguration,
  clone: string,
  breakpoint: { file: string; line: number },
  url: string,
): Promise<DebugRound> {
  const attach = resolveWorkspaceFolder(configuration, clone);
  const client = await dapSession(attach.port as number, 'go', attach, breakpoint);
  try {
    const stopped = client.waitForEvent('stopped');
    return await readStopAndContinue(client, stopped, request(url), 'delve');
  } finally {
    // A multi-client headless delve keeps its breakpoints for the next client: take ours out.
    await within(client.setBreakpointsRequest({ source: { path: breakpoint.file }, breakpoints: [] }), 'delve: clear the breakpoint');
    await within(client.stop(), 'delve: detach');
  }
}

/**
 * The Node inspector: the injected configuration's address, port, localRoot and remoteRoot, as
 * js-debug uses them: the breakpoint goes on the script's URL in the container.
 */
export async function inspectorRound(
  configuration: LaunchConfiguration,
  clone: string,
  breakpoint: { file: string; line: number },
  url: string,
): Promise<DebugRound> {
  const attach = resolveWorkspaceFolder(configuration, clone);
  const remote = path.posix.join(
    attach.remoteRoot as string,
    path
      .relative(attach.localRoot as string, breakpoint.file)
      .split(path.sep)
      .join('/'),
  );
  const client = await within(CDP({ host: attach.address as string, port: attach.port as number }), `inspector: connect to ${attach.address}:${attach.port}`);
  try {
    await within(client.Debugger.enable({}), 'inspector: Debugger.enable');
    const set = await within(client.Debugger.setBreakpointByUrl({ url: `file://${remote}`, lineNumber: breakpoint.line - 1 }), 'inspector: setBreakpointByUrl');
    if (set.locations.length !== 1)
      throw new Error(`inspector: breakpoint at file://${remote}:${breakpoint.line} resolved to ${set.locations.length} locations`);
    type Paused = {
      callFrames: { callFrameId: string; location: { lineNumber: number }; scopeChain: { type: string; object: { objectId?: string } }[] }[];
      hitBreakpoints?: string[];
    };
    const paused = new Promise<Paused>((resolve) => client.on('Debugger.paused', (params) => resolve(params as Paused)));
    const response = request(url);
    const event = await within(paused, 'inspector: Debugger.paused after the request');
    if (!event.hitBreakpoints?.includes(set.breakpointId))
      throw new Error(`inspector: paused, but not at the breakpoint (${JSON.stringify(event.hitBreakpoints)})`);
    const top = event.callFrames[0];
    const local = top.scopeChain.find((scope) => scope.type === 'local');
    const properties = local?.object.objectId
      ? await within(client.Runtime.getProperties({ objectId: local.object.objectId, ownProperties: true }), 'inspector: locals')
      : { result: [] };
    const locals = Object.fromEntries(
      properties.result.map((property) => [property.name, String(property.value?.value ?? property.value?.description ?? property.value?.type)]),
    );
    await within(client.Debugger.removeBreakpoint({ breakpointId: set.breakpointId }), 'inspector: removeBreakpoint');
    await within(client.Debugger.resume({}), 'inspector: resume');
    return {
      stop: { file: breakpoint.file, line: top.location.lineNumber + 1, locals },
      response: await within(response, 'inspector: the request after resume', 60_000),
    };
  } finally {
    await client.close();
  }
}
