/**
 * "Does traffic really get through?": one Redis PING over a fresh TCP connection to the forward.
 *
 * A listening port proves only that kubectl is alive; the PING proves the whole path (kubectl → API
 * server → pod → redis) works. A Redis with a password answers `-NOAUTH …`: that reply also came
 * from Redis, so the path works and the tunnel counts as reachable (we say so in the state).
 */
import * as net from 'node:net';

/** The RESP inline form of PING: what redis-cli sends. */
export const PING_COMMAND = '*1\r\n$4\r\nPING\r\n';

export type RespReply =
  { type: 'simple'; value: string } | { type: 'error'; value: string } | { type: 'integer'; value: number } | { type: 'bulk'; value: string | null };

/**
 * Parses the first complete RESP reply in `buffer` (simple string, error, integer or bulk string —
 * all a PING can get back). Returns undefined while the reply is still incomplete; throws when the
 * bytes are not RESP at all (something other than Redis answers on the port).
 */
export function parseRespReply(buffer: string): RespReply | undefined {
  const lineEnd = buffer.indexOf('\r\n');
  if (lineEnd === -1) {
    if (buffer.length > 0 && !'+-:$'.includes(buffer[0])) throw new Error(`not a Redis reply: ${JSON.stringify(buffer.slice(0, 40))}`);
    return undefined;
  }
  const head = buffer.slice(1, lineEnd);
  switch (buffer[0]) {
    case '+':
      return { type: 'simple', value: head };
    case '-':
      return { type: 'error', value: head };
    case ':':
      return { type: 'integer', value: Number(head) };
    case '$': {
      const length = Number(head);
      if (!Number.isInteger(length)) throw new Error(`not a Redis reply: bad bulk length ${JSON.stringify(head)}`);
      if (length < 0) return { type: 'bulk', value: null };
      const start = lineEnd + 2;
      if (buffer.length < start + length + 2) return undefined;
      return { type: 'bulk', value: buffer.slice(start, start + length) };
    }
    default:
      throw new Error(`not a Redis reply: ${JSON.stringify(buffer.slice(0, 40))}`);
  }
}

export type PingOutcome =
  /** +PONG: healthy. */
  | { ok: true; reply: 'PONG'; ms: number }
  /** Redis answered but wants a password: the tunnel works; the services bring their own password. */
  | { ok: true; reply: 'NOAUTH'; ms: number }
  | { ok: false; reason: string; ms: number };

/** What a reply means for the tunnel. Pure. */
export function judgePingReply(reply: RespReply, ms: number): PingOutcome {
  if (reply.type === 'simple' && reply.value === 'PONG') return { ok: true, reply: 'PONG', ms };
  if (reply.type === 'error' && /^NOAUTH\b/.test(reply.value)) return { ok: true, reply: 'NOAUTH', ms };
  if (reply.type === 'error') return { ok: false, reason: `Redis answered PING with an error: ${reply.value}`, ms };
  return { ok: false, reason: `Redis answered PING with ${JSON.stringify(reply.value)} instead of PONG`, ms };
}

/** Sends PING to host:port and resolves with the outcome; never rejects, never outlives timeoutMs. */
export function pingRedis(host: string, port: number, timeoutMs: number): Promise<PingOutcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    let received = '';
    let settled = false;
    const socket = net.connect({ host, port });
    const finish = (outcome: PingOutcome) => {
      // Stryker disable next-line ConditionalExpression: equivalent mutant — a promise keeps its first outcome anyway; the guard only spares a second destroy()
      if (settled) return;
      // Stryker disable next-line BooleanLiteral: equivalent mutant — the same guard
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const fail = (reason: string) => finish({ ok: false, reason, ms: Date.now() - started });
    // One timer for connect + answer: a forward that accepts and then hangs is the case to catch.
    const timer = setTimeout(() => fail(`no answer to PING within ${timeoutMs} ms (the forward accepts connections but nothing comes back)`), timeoutMs);
    // Stryker disable next-line BooleanLiteral: equivalent mutant — one small write with nothing in flight is sent at once either way
    socket.setNoDelay(true);
    let connected = false;
    socket.on('connect', () => {
      connected = true;
      socket.write(PING_COMMAND);
    });
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      try {
        const reply = parseRespReply(received);
        if (reply) finish(judgePingReply(reply, Date.now() - started));
      } catch (error) {
        fail((error as Error).message);
      }
    });
    socket.on('error', (error: NodeJS.ErrnoException) =>
      fail(
        connected
          ? `${host}:${port} dropped the connection before Redis answered PING (${error.code ?? error.message})`
          : `cannot connect to ${host}:${port}: ${error.code ?? error.message}`,
      ),
    );
    socket.on('close', () => fail(`${host}:${port} closed the connection before Redis answered PING`));
  });
}
