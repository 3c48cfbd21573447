import type { ChildProcess } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Env } from '../lib/env.js';
import { log } from '../lib/log.js';
import { DLPOOL_BIN, REPO } from '../lib/paths.js';
import { childEnv, findExecutable, freePort, HOST, startDlpoolServe, waitHttp } from '../lib/processes.js';
import type { Scope } from '../lib/scope.js';
import { selfSignedCertificate } from '../lib/tls.js';
import type { CompareConfig } from './config.js';
import { LATENCY_MS } from './workloads.js';
import { makeFolders } from '../../src/common/make-folders.js';

/** A static file server in a process of its own on 127.0.0.1, stopped with the scope. */
export interface Server {
  kind: string;
  version: string;
  baseUrl: string;
  /** nginx only, when an https workload runs: the TLS server and its certificate (also the CA). */
  tlsUrl?: string | undefined;
  caFile?: string | undefined;
  child: ChildProcess;
  logFile: string;
}

export interface ServerPlan {
  scope: Scope;
  env: Env;
  www: string;
  workDir: string;
  /** A file every server must answer with 200 before it counts as up (e.g. 'small/s0000.bin'). */
  probePath: string;
  tls: boolean;
}

/** SERVER_CMD when set; else nginx when found (SERVER=auto|nginx); else `dlpool serve --root`. */
export async function startServer(cfg: CompareConfig, p: ServerPlan): Promise<Server> {
  if (cfg.serverCmd) return startCustom(cfg.serverCmd, p);
  const nginx = findExecutable(p.env, 'nginx', ['/usr/sbin', '/usr/local/sbin', '/usr/local/nginx/sbin']);
  if (cfg.server === 'nginx' && !nginx) throw new Error('SERVER=nginx but no nginx binary was found');
  if (nginx && cfg.server !== 'dlpool') return startNginx(nginx, p);
  if (cfg.server === 'auto') log('no nginx binary found: using `dlpool serve --root`');
  return startDlpoolRoot(p);
}

function spawnServer(p: ServerPlan, cmd: string, args: string[], logFile: string): ChildProcess {
  const fd = fs.openSync(logFile, 'w');
  const child = p.scope.spawn(cmd, args, { stdio: ['ignore', 'ignore', fd], env: childEnv(p.env) });
  fs.closeSync(fd);
  return child;
}

async function startNginx(nginxBin: string, p: ServerPlan): Promise<Server> {
  const dir = path.join(p.workDir, 'nginx');
  for (const d of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) {
    makeFolders(path.join(dir, d));
  }
  const port = await freePort();
  let tls: { port: number; cert: string; key: string } | undefined;
  if (p.tls) {
    const made = selfSignedCertificate(dir, `/CN=${HOST}`, `IP:${HOST}`);
    if ('error' in made) throw new Error(`openssl could not make a certificate: ${made.error}`);
    tls = { port: await freePort(), ...made };
  }
  const conf = path.join(dir, 'nginx.conf');
  const errLog = path.join(dir, 'error.log');
  fs.writeFileSync(conf, nginxConf({ dir, errLog, port, www: p.www, tls }));
  const t = spawnSync(nginxBin, ['-t', '-q', '-p', dir, '-c', conf, '-e', errLog], { encoding: 'utf8' });
  if (t.status !== 0) throw new Error(`nginx -t failed: ${t.stderr || t.stdout}`);
  const v = spawnSync(nginxBin, ['-v'], { encoding: 'utf8' });
  const logFile = path.join(dir, 'stderr.log');
  const child = spawnServer(p, nginxBin, ['-p', dir, '-c', conf, '-e', errLog], logFile);
  const server: Server = {
    kind: 'nginx',
    version: (v.stderr || '').trim().replace(/^nginx version: /, ''),
    baseUrl: `http://${HOST}:${port}/`,
    tlsUrl: tls ? `https://${HOST}:${tls.port}/` : undefined,
    caFile: tls?.cert,
    child,
    logFile,
  };
  await waitHttp(server.baseUrl + p.probePath, child, 'nginx');
  return server;
}

/** A minimal static file server; HTTP/2 is offered over TLS (ALPN) as a production server would. */
function nginxConf(o: {
  dir: string;
  errLog: string;
  port: number;
  www: string;
  tls: { port: number; cert: string; key: string } | undefined;
}): string {
  const tlsServer = o.tls
    ? `
  server {
    listen ${HOST}:${o.tls.port} ssl http2;
    server_name localhost;
    ssl_certificate ${o.tls.cert};
    ssl_certificate_key ${o.tls.key};
    root ${o.www};
    location / { try_files $uri =404; }
  }`
    : '';
  // As root the worker runs as root as well, so it can read the corpus whatever the temp dir's modes.
  const userLine = process.getuid?.() === 0 ? 'user root root;' : '';
  return `# written by dlpool's bench harness (bench/compare): minimal static file server for the benchmark
${userLine}
worker_processes 1;
daemon off;
pid ${o.dir}/nginx.pid;
error_log ${o.errLog} warn;
events { worker_connections 4096; }
http {
  default_type application/octet-stream;
  access_log off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_requests 100000;
  keepalive_timeout 65s;
  gzip off;
  client_body_temp_path ${o.dir}/client_body;
  proxy_temp_path ${o.dir}/proxy;
  fastcgi_temp_path ${o.dir}/fastcgi;
  uwsgi_temp_path ${o.dir}/uwsgi;
  scgi_temp_path ${o.dir}/scgi;
  server {
    listen ${HOST}:${o.port};
    server_name localhost;
    root ${o.www};
    location / { try_files $uri =404; }
  }${tlsServer}
}
`;
}

async function startDlpoolRoot(p: ServerPlan): Promise<Server> {
  if (!fs.existsSync(path.join(REPO, 'dist', 'server', 'index.js'))) {
    throw new Error('`dlpool serve` needs dist/server/ (npm run build), or install nginx, or set SERVER_CMD');
  }
  const logFile = path.join(p.workDir, 'dlpool-serve.log');
  const s = await startDlpoolServe(p.scope, { args: ['--root', p.www], env: p.env, logFile });
  s.child.stdout!.resume(); // keep draining whatever else it prints
  await waitHttp(s.url + p.probePath, s.child, 'dlpool serve');
  return {
    kind: 'dlpool serve',
    version: `node ${process.version}`,
    baseUrl: s.url,
    child: s.child,
    logFile,
  };
}

async function startCustom(template: string, p: ServerPlan): Promise<Server> {
  const port = await freePort();
  const argv = template
    .split(/\s+/)
    .filter(Boolean)
    .map((a) => a.replaceAll('{root}', p.www).replaceAll('{port}', String(port)));
  const logFile = path.join(p.workDir, 'server.log');
  const child = spawnServer(p, argv[0]!, argv.slice(1), logFile);
  const baseUrl = `http://${HOST}:${port}/`;
  await waitHttp(baseUrl + p.probePath, child, 'SERVER_CMD');
  const kind = `SERVER_CMD (${path.basename(argv[0]!)} ${argv.slice(1, 2).join(' ')})`;
  return { kind, version: '', baseUrl, child, logFile };
}

/**
 * The latency workload's server: the shared harness's delay_server.js when it is there (every response held
 * back LATENCY_MS, the first on each connection LATENCY_MS more), else `dlpool serve --latency`.
 */
export async function startDelayServer(cfg: CompareConfig, p: ServerPlan): Promise<Server> {
  const port = await freePort();
  const shared = path.join(cfg.sharedBench, 'delay_server.js');
  const hasShared = fs.existsSync(shared);
  const ms = String(LATENCY_MS);
  const argv = hasShared
    ? [shared, '--root', p.www, '--port', String(port), '--delay-ms', ms, '--conn-delay-ms', ms]
    : [DLPOOL_BIN, 'serve', '--root', p.www, '--port', String(port), '--latency', ms];
  const logFile = path.join(p.workDir, 'delay-server.log');
  const child = spawnServer(p, process.execPath, argv, logFile);
  const kind = hasShared ? 'shared/bench/delay_server.js' : 'dlpool serve --latency';
  const baseUrl = `http://${HOST}:${port}/`;
  await waitHttp(baseUrl + p.probePath, child, kind);
  return { kind, version: '', baseUrl, child, logFile };
}
