/**
 * Debian's Chromium as the dashboard's e2e and its CPU benchmark drive it (playwright-core with
 * executablePath: no browser download works here), with the flags that keep it from reaching the
 * network on its own (updates, sync, QUIC) or needing a GPU or a sandbox as root.
 */
export const CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
