// The dashboard page: renders the server's view (src/dashboard/view.ts) as it is pushed, and
// never judges anything itself. Plain DOM (textContent only: no text from the stack becomes HTML).
'use strict';
let token = document.querySelector('meta[name="dashboard-token"]').content;
let lastView;
let logStream;
const chosenLogs = new Set();
const pending = new Set();

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) if (child !== undefined && child !== null) node.append(child instanceof Node ? child : String(child));
  return node;
}

function since(iso) {
  if (!iso) return 'never';
  const seconds = Math.round((Date.now() - Date.parse(iso)) / 1000);
  return seconds < 60 ? `${seconds}s ago` : seconds < 3600 ? `${Math.round(seconds / 60)}m ago` : `${Math.round(seconds / 3600)}h ago`;
}
function duration(ms) {
  return ms === undefined || ms === null ? '' : ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}
function bytes(value) {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let index = 0;
  while (value >= 1024 && index < units.length - 1) {
    value /= 1024;
    index++;
  }
  return `${value.toFixed(index === 0 ? 0 : 1)} ${units[index]}`;
}

function sparkline(values, label) {
  const width = 90,
    height = 18;
  const svgNs = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(svgNs, 'svg');
  svg.setAttribute('class', 'spark');
  svg.setAttribute('width', width);
  svg.setAttribute('height', height);
  svg.setAttribute('aria-label', label);
  if (values.length > 1) {
    const max = Math.max(...values) || 1;
    const points = values.map((value, index) => `${(index / (values.length - 1)) * width},${height - 1 - (value / max) * (height - 2)}`).join(' ');
    const line = document.createElementNS(svgNs, 'polyline');
    line.setAttribute('points', points);
    line.setAttribute('fill', 'none');
    line.setAttribute('stroke', '#3a6ff7');
    line.setAttribute('stroke-width', '1.5');
    svg.append(line);
  }
  return svg;
}

async function act(action, service) {
  const key = `${action}:${service || ''}`;
  if (pending.has(key)) return;
  pending.add(key);
  render(lastView);
  const result = document.getElementById('action-result');
  result.textContent = `${action} ${service || ''} …\n`;
  try {
    const response = await fetch(`/api/actions/${action}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-dashboard-token': token },
      body: JSON.stringify({ service }),
    });
    const body = await response.json();
    result.textContent = [...(body.lines || []), body.ok ? `✔ ${action} ${service || ''}: done` : `✖ ${body.error}`].join('\n');
    result.className = body.ok ? 'stream' : 'stream failure';
  } catch (error) {
    result.textContent = `✖ ${action} ${service || ''}: ${error.message}`;
  } finally {
    pending.delete(key);
    render(lastView);
  }
}

function serviceCard(service) {
  const cpu = service.cpu.length ? `${service.cpu[service.cpu.length - 1].toFixed(1)} %` : '–';
  const memory = service.memory.length ? bytes(service.memory[service.memory.length - 1]) : '–';
  const image =
    service.image.freshness === 'stale'
      ? el('span', { class: 'stale' }, `stale: ${service.image.why}`)
      : service.image.freshness === 'live'
        ? el('span', { class: 'live' }, service.image.why)
        : el('span', { class: 'muted' }, service.image.freshness === 'fresh' ? 'fresh' : service.image.why || 'unknown');
  const busy = (action) => pending.has(`${action}:${service.name}`);
  return el(
    'div',
    {
      class: `card tone-${service.tone}`,
      'data-service': service.name,
      'data-state': service.state,
      'data-live': service.live ? (service.live.watching ? 'watching' : 'dev-stopped') : undefined,
    },
    el(
      'h3',
      {},
      el('span', {}, service.name, service.kind === 'worker' ? el('span', { class: 'muted' }, ' (worker)') : ''),
      el('span', { class: 'state' }, service.stateLabel),
    ),
    el(
      'div',
      { class: 'row' },
      'branch ',
      el('b', {}, service.branch || '–'),
      service.wantedBranch && service.branch && service.wantedBranch !== service.branch
        ? el('span', { class: 'stale' }, ` (config.yaml: ${service.wantedBranch})`)
        : '',
      service.dirty ? el('span', { class: 'dirty' }, ` ● dirty (${service.changedFiles})`) : '',
    ),
    el('div', { class: 'row' }, 'image ', image),
    service.live ? el('div', { class: 'row live', 'data-role': 'live' }, service.live.line) : '',
    el(
      'div',
      { class: 'row' },
      'ports ',
      service.links.length
        ? service.links.map((link) => el('a', { href: link.url, target: '_blank', rel: 'noopener' }, `${link.host}→${link.container} `))
        : '–',
      service.debugPort ? el('span', { class: 'muted' }, ` debug ${service.debugPort}`) : '',
    ),
    el(
      'div',
      { class: 'row' },
      'cpu ',
      sparkline(service.cpu, `${service.name} cpu`),
      ` ${cpu}  mem `,
      sparkline(service.memory, `${service.name} memory`),
      ` ${memory}`,
    ),
    el(
      'div',
      { class: 'row' },
      `restarts ${service.restarts ?? '–'}`,
      service.container
        ? el('span', { class: 'muted' }, ` · ${service.container.status}${service.container.status === 'exited' ? ` (${service.container.exitCode})` : ''}`)
        : '',
    ),
    service.problems.map((problem) =>
      el('div', { class: `row problem ${problem.severity}` }, problem.message, problem.fix ? el('span', { class: 'muted' }, ` — ${problem.fix}`) : ''),
    ),
    el(
      'div',
      { class: 'row' },
      el(
        'button',
        { onclick: () => act('restart', service.name), disabled: busy('restart') || !service.container, 'data-action': 'restart' },
        busy('restart') ? 'restarting…' : 'Restart',
      ),
      el(
        'button',
        {
          onclick: () => act('rebuild', service.name),
          disabled: busy('rebuild'),
          'data-action': 'rebuild',
          // The server leaves live mode for the service first (dev stops syncing it), then runs `up`.
          title: service.live ? 'leaves live mode, then builds the image of the clone and replaces the container' : undefined,
        },
        busy('rebuild') ? 'rebuilding…' : 'Rebuild',
      ),
    ),
  );
}

function tunnelCard(tunnel) {
  return [
    el('h3', {}, el('span', {}, `namespace ${tunnel.namespace || '–'}`), el('span', { class: `state tone-${tunnel.tone}` }, tunnel.status)),
    el('div', { class: 'row' }, `last PING ${since(tunnel.lastPing)} · reconnects ${tunnel.reconnects ?? '–'} · port ${tunnel.port ?? '–'}`),
    tunnel.lines.map((line) => el('div', { class: 'row muted' }, line)),
    el(
      'button',
      { onclick: () => act('reconnect-tunnel'), disabled: pending.has('reconnect-tunnel:'), 'data-action': 'reconnect-tunnel' },
      pending.has('reconnect-tunnel:') ? 'reconnecting…' : 'Reconnect',
    ),
  ];
}

function runSection(run) {
  if (!run) return el('p', { class: 'muted' }, 'no run recorded yet');
  return el(
    'div',
    {},
    el('p', {}, el('b', {}, run.state), ` · ${run.command} · started ${since(run.startedAt)} · ${duration(run.durationMs)} · ${run.cacheHits} cache hits`),
    el(
      'table',
      {},
      el('tr', {}, el('th', {}, 'task'), el('th', {}, 'state'), el('th', {}, 'time'), el('th', {}, 'cache'), el('th', {}, 'image')),
      run.tasks.map((task) =>
        el(
          'tr',
          { class: task.state === 'failure' ? 'failure' : '' },
          el('td', {}, task.task),
          el('td', {}, task.state),
          el('td', {}, duration(task.durationMs)),
          el('td', {}, task.cache ?? ''),
          // build-image's outcome: present, pulled (from the team's registry) or built.
          el('td', { class: task.image ? `image-${task.image}` : '' }, task.image ?? ''),
        ),
      ),
    ),
  );
}

function buildTimes(rows) {
  const built = rows.filter((row) => row.durations.some((value) => value !== null));
  if (built.length === 0) return el('p', { class: 'muted' }, 'no build recorded yet');
  return el(
    'table',
    {},
    built.map((row) =>
      el(
        'tr',
        {},
        el('td', {}, row.service),
        el(
          'td',
          {},
          sparkline(
            row.durations.map((value) => value || 0),
            `${row.service} build times`,
          ),
        ),
        el('td', {}, `last ${duration([...row.durations].reverse().find((value) => value !== null))}`),
      ),
    ),
  );
}

function logPicker(services) {
  const picker = document.getElementById('log-picker');
  if (picker.dataset.services === services.join(',')) return;
  picker.dataset.services = services.join(',');
  if (chosenLogs.size === 0) services.forEach((name) => chosenLogs.add(name));
  picker.replaceChildren(
    ...services.map((name) =>
      el(
        'label',
        {},
        el('input', {
          type: 'checkbox',
          checked: chosenLogs.has(name),
          onchange: (event) => {
            event.target.checked ? chosenLogs.add(name) : chosenLogs.delete(name);
            followLogs();
          },
        }),
        ` ${name} `,
      ),
    ),
  );
  followLogs();
}

function render(view) {
  if (!view) return;
  document.getElementById('namespace').textContent = `namespace ${view.namespace}`;
  document.getElementById('updated').textContent = `updated ${new Date(view.generatedAt).toLocaleTimeString()}`;
  const engine = document.getElementById('engine-problem');
  engine.hidden = view.engine.reachable;
  engine.textContent = view.engine.reachable ? '' : `Docker does not answer: ${view.engine.error}`;
  document.getElementById('services').replaceChildren(...view.services.map(serviceCard));
  document.getElementById('tunnel').className = `card tone-${view.tunnel.tone}`;
  document.getElementById('tunnel').replaceChildren(...tunnelCard(view.tunnel).flat());
  document.getElementById('run').replaceChildren(runSection(view.run));
  document.getElementById('build-times').replaceChildren(buildTimes(view.buildTimes));
  logPicker(view.services.map((service) => service.name));
}

/** A restarted server has a new token: read it from a fresh copy of the page. */
async function refreshToken() {
  const page = await (await fetch('/')).text();
  token = new DOMParser().parseFromString(page, 'text/html').querySelector('meta[name="dashboard-token"]').content;
}

/**
 * An event stream of this page (the token in its URL: EventSource cannot send a header). The
 * browser reconnects by itself after a network error; after a refusal (a token of an earlier start,
 * 403, or too many streams, 503) it gives up, so this reopens it with a fresh token a bit later.
 */
function stream(path, handlers) {
  let source;
  let closed = false;
  const open = () => {
    source = new EventSource(`${path}${path.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`);
    for (const [event, handler] of Object.entries(handlers)) source.addEventListener(event, handler);
    source.addEventListener('error', () => {
      if (source.readyState !== EventSource.CLOSED) return;
      setTimeout(async () => {
        if (closed) return;
        await refreshToken().catch(() => undefined);
        if (!closed) open();
      }, 2000);
    });
  };
  open();
  return {
    close: () => {
      closed = true;
      source.close();
    },
  };
}

function followLogs() {
  logStream?.close();
  const output = document.getElementById('logs');
  output.textContent = '';
  if (chosenLogs.size === 0) return;
  const show = (text, failure) => {
    const atBottom = output.scrollTop + output.clientHeight >= output.scrollHeight - 4;
    output.append(el('span', { class: failure ? 'failure' : '' }, `${text}\n`));
    if (atBottom) output.scrollTop = output.scrollHeight;
  };
  logStream = stream(`/api/logs?services=${encodeURIComponent([...chosenLogs].join(','))}`, {
    // Each (re)connection sends the recent lines again: start from a clean page.
    open: () => {
      output.textContent = '';
    },
    line: (event) => {
      const line = JSON.parse(event.data);
      show(`${line.service} | ${line.text}`, line.stream === 'stderr');
    },
    skipped: (event) => show(`(… ${JSON.parse(event.data).lines} lines skipped: this page did not keep up)`, true),
  });
}

function followBuildOutput() {
  const output = document.getElementById('build-output');
  stream('/api/build-output', {
    output: (event) => {
      const change = JSON.parse(event.data);
      if (change.reset) output.textContent = '';
      output.append(change.text);
      output.scrollTop = output.scrollHeight;
    },
  });
}

function connect() {
  const status = document.getElementById('connection');
  let lost = false;
  stream('/api/events', {
    open: async () => {
      if (lost) {
        // Not fatal if this fails: a stream refused for its old token fetches the page again itself.
        await refreshToken().catch(() => undefined);
        followLogs();
      }
      lost = false;
      status.textContent = 'live';
      status.className = 'tone-ok';
    },
    snapshot: (event) => {
      lastView = JSON.parse(event.data);
      render(lastView);
    },
    error: () => {
      lost = true;
      status.textContent = 'reconnecting…';
      status.className = 'tone-bad';
    },
  });
}

connect();
followBuildOutput();
