// demo-web: the demo's web front end. Shows what local-dev gave it (the namespace's .env, Redis,
// demo-api by its service name) and runs under the Node inspector on DEBUG_PORT.
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');
const escapeHtml = require('escape-html');

const PORT = 3000;
const REDIS_HOST = process.env.REDIS_HOST || 'localhost';
const REDIS_PORT = Number(process.env.REDIS_PORT || 6379);
const API_URL = process.env.API_URL || 'http://demo-api:8000/';

/** KEY=VALUE lines of the .env local-dev injected from configs/<namespace>/demo.env. */
function readEnv(file) {
  const values = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (match && !line.trim().startsWith('#')) values[match[1]] = match[2].replace(/^(['"])(.*)\1$/, '$2');
  }
  return values;
}

const env = readEnv(path.join(__dirname, '.env'));
const version = fs.readFileSync(path.join(__dirname, 'VERSION'), 'utf8').trim();
const tokenLength = fs.readFileSync(path.join(__dirname, 'registry-token-length'), 'utf8').trim();

/** PING over RESP; resolves with the reply, or what went wrong. */
function redisPing() {
  return new Promise((resolve) => {
    const socket = net.connect({ host: REDIS_HOST, port: REDIS_PORT, timeout: 2000 });
    let reply = '';
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk;
      if (reply.includes('\r\n')) {
        socket.end();
        resolve(reply.split('\r\n')[0].replace(/^[+-]/, ''));
      }
    });
    socket.on('timeout', () => socket.destroy(new Error('timed out')));
    socket.on('error', (error) => resolve(`NOT REACHABLE (${error.message})`));
  });
}

/** demo-api's "visits:" line, by its service name. */
function apiSays() {
  return new Promise((resolve) => {
    const request = http.get(API_URL, { timeout: 10000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve(body.split('\n').find((line) => line.startsWith('visits:')) || `no visits line (HTTP ${response.statusCode})`));
    });
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', (error) => resolve(`NOT REACHABLE (${error.message})`));
  });
}

async function page(response) {
  const namespaceValue = env.DEMO_NAMESPACE_VALUE;
  const [pong, api] = await Promise.all([redisPing(), apiSays()]);
  const lines = [
    'service: demo-web',
    `namespace value: ${namespaceValue}`,
    `redis: ${pong} at ${REDIS_HOST}:${REDIS_PORT}`,
    `registry token: passed to the build as a BuildKit secret (${tokenLength} bytes); not in the image`,
    `demo-api says: ${api}`,
    `debugger: the Node inspector on container port ${process.env.DEBUG_PORT || 'none'}`,
    `version: ${version}`,
  ];
  response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
  response.end(`<!doctype html>\n<title>demo-web</title>\n<pre>\n${escapeHtml(lines.join('\n'))}\n</pre>\n`);
}

const server = http.createServer((request, response) => {
  if (request.url === '/health') {
    response.writeHead(200, { 'Content-Type': 'text/plain' });
    response.end('ok\n');
    return;
  }
  page(response).catch((error) => {
    response.writeHead(500, { 'Content-Type': 'text/plain' });
    response.end(`${error.stack}\n`);
  });
});
server.listen(PORT, () => console.log(`demo-web listening on :${PORT} (namespace value: ${env.DEMO_NAMESPACE_VALUE})`));
