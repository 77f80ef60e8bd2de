import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsx = createRequire(import.meta.url).resolve('tsx/cli');
const BROWSER =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15';
const API_KEY = 'example-test-key';
const auth = { authorization: `Bearer ${API_KEY}` };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Running {
  child: ChildProcess;
  url: string;
  logs: string[];
}

/** Runs the example as `pnpm start` does, on a free port, and waits until it listens. */
function startServer(dbPath: string): Promise<Running> {
  const child = spawn(process.execPath, [tsx, '--conditions=@linkpulse/source', 'src/server.ts'], {
    cwd: root,
    env: { ...process.env, PORT: '0', LINKPULSE_DB: dbPath, LINKPULSE_API_KEY: API_KEY },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no listen in time:\n${logs.join('')}`)),
      30_000,
    );
    child.stderr!.on('data', (chunk: Buffer) => logs.push(chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => {
      logs.push(chunk.toString());
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(chunk.toString());
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1]!, logs });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${logs.join('')}`));
    });
  });
}

function stopServer({ child }: Running): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

async function stats(url: string, code: string) {
  const response = await fetch(`${url}/api/links/${code}/stats`, { headers: auth });
  expect(response.status).toBe(200);
  return (await response.json()) as { total: number; unique: number; bots: number };
}

const redirect = (url: string, code: string) =>
  fetch(`${url}/${code}`, { redirect: 'manual', headers: { 'user-agent': BROWSER } });

describe('examples/embedded (pnpm start)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'linkpulse-embedded-'));
  const dbPath = join(dir, 'data', 'linkpulse.db');
  const running: Running[] = [];
  afterAll(async () => {
    for (const server of running) if (server.child.exitCode === null) await stopServer(server);
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves links and stats that survive a restart', async () => {
    const first = await startServer(dbPath);
    running.push(first);
    expect((await fetch(`${first.url}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${first.url}/readyz`)).json()).toEqual({ status: 'ready' });
    expect(statSync(`${dbPath}.secret`).mode & 0o777).toBe(0o600);

    const unauthorized = await fetch(`${first.url}/api/links`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: 'https://example.com/' }),
    });
    expect(unauthorized.status).toBe(401);
    const created = await fetch(`${first.url}/api/links`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ url: 'https://example.com/docs', code: 'docs-link' }),
    });
    expect(created.status).toBe(201);

    for (let i = 0; i < 5; i++) {
      const response = await redirect(first.url, 'docs-link');
      expect(response.status).toBe(302);
      expect(response.headers.get('location')).toBe('https://example.com/docs');
    }
    // The promise: five redirects show in the stats within 2 seconds.
    const deadline = Date.now() + 2_000;
    let counted = await stats(first.url, 'docs-link');
    while (counted.total < 5 && Date.now() < deadline) {
      await sleep(50);
      counted = await stats(first.url, 'docs-link');
    }
    expect(counted).toMatchObject({ total: 5, unique: 1, bots: 0 });

    const metrics = await (await fetch(`${first.url}/metrics`)).text();
    expect(metrics).toMatch(/^linkpulse_emitter_events_emitted_total 5$/m);
    expect(metrics).toMatch(/^linkpulse_worker_events_written_total 5$/m);
    expect(metrics).toMatch(/^process_cpu_seconds_total /m);

    // Clicks still buffered when SIGTERM arrives are flushed before the database closes.
    await redirect(first.url, 'docs-link');
    await redirect(first.url, 'docs-link');
    expect(await stopServer(first)).toBe(0);
    expect(first.logs.join('')).toMatch(/stopped: clicks flushed/);

    const second = await startServer(dbPath);
    running.push(second);
    const link = await fetch(`${second.url}/api/links/docs-link`, { headers: auth });
    expect(await link.json()).toMatchObject({ code: 'docs-link', url: 'https://example.com/docs' });
    expect(await stats(second.url, 'docs-link')).toMatchObject({ total: 7, unique: 1 });

    // The visitor secret survived the restart too: the same visitor is still one visitor.
    await redirect(second.url, 'docs-link');
    let after = await stats(second.url, 'docs-link');
    for (let tries = 0; after.total < 8 && tries < 100; tries++) {
      await sleep(50);
      after = await stats(second.url, 'docs-link');
    }
    expect(after).toMatchObject({ total: 8, unique: 1 });
    expect(await stopServer(second)).toBe(0);
  }, 90_000);
});
