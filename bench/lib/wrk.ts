/**
 * Load from Debian's `wrk` in a process of its own (C, epoll: it does not eat the server's cores the way a load
 * generator in Node would), driven by `traffic.lua`: requests picked at random from ready-made lists, each with the
 * token and client address of the user it acts for.
 */
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchDir } from './paths.js';

export const WRK = process.env.BENCH_WRK ?? '/usr/bin/wrk';
const SCRIPT = join(benchDir, 'lib/traffic.lua');

export interface WrkRequest {
  method: 'GET' | 'POST';
  path: string;
  token: string;
  address: string;
  body?: unknown;
}

export interface WrkResult {
  requests: number;
  seconds: number;
  rps: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Answers with a status of 400 or more (wrk counts these; our routes never redirect). */
  non2xx: number;
  /** Connect, read and write errors and timeouts. */
  socketErrors: number;
  /** Requests taken from the second list (the writes of a mixed workload). */
  secondSent: number;
}

export function checkWrk(): string | null {
  return existsSync(WRK) ? null : `wrk is not installed at ${WRK}: apt-get install wrk (or set BENCH_WRK to its path).`;
}

/** Writes a list of requests in the form traffic.lua reads (tab-separated, one a line). */
export function writeRequests(file: string, requests: WrkRequest[]) {
  const line = (r: WrkRequest) => {
    const fields = [r.method, r.path, r.token, r.address, r.body === undefined ? '' : JSON.stringify(r.body)];
    if (fields.some((f) => /[\t\n]/.test(f))) throw new Error(`a request field holds a tab or a newline: ${r.path}`);
    return fields.join('\t');
  };
  writeFileSync(file, requests.map(line).join('\n') + '\n');
}

export interface WrkOptions {
  url: string;
  requestsFile: string;
  /** A second list and the share of requests taken from it. */
  second?: { file: string; share: number };
  seconds: number;
  threads: number;
  connections: number;
}

export function runWrk(o: WrkOptions): Promise<WrkResult> {
  const args = [
    `-t${o.threads}`,
    `-c${o.connections}`,
    `-d${o.seconds}s`,
    '--timeout',
    '10s',
    '-s',
    SCRIPT,
    o.url,
    '--',
    o.requestsFile,
    ...(o.second ? [o.second.file, String(o.second.share)] : []),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(WRK, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('TRAFFIC_JSON '));
      if (code !== 0 || !line) return reject(new Error(`wrk ${args.join(' ')} exited with ${code}:\n${out}`));
      const r = JSON.parse(line.slice('TRAFFIC_JSON '.length));
      const seconds = r.durationUs / 1e6;
      const e = r.errors;
      resolve({
        requests: r.requests,
        seconds,
        rps: r.requests / seconds,
        p50Ms: r.p50Us / 1000,
        p90Ms: r.p90Us / 1000,
        p99Ms: r.p99Us / 1000,
        maxMs: r.maxUs / 1000,
        non2xx: e.status,
        socketErrors: e.connect + e.read + e.write + e.timeout,
        secondSent: r.secondSent,
      });
    });
  });
}
