import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Settings of the embedded server, from the environment. */
export interface ServerConfig {
  /** `PORT`, default 3000 (0 picks a free port). */
  port: number;
  /** `HOST`, default `127.0.0.1`; `0.0.0.0` to accept connections from other machines. */
  host: string;
  /**
   * `LINKPULSE_DB`, default `./data/linkpulse.db`: links and clicks in one SQLite file.
   * Relative paths are taken from where `pnpm start` was typed (`INIT_CWD`), not from
   * this package's folder, where pnpm runs the script.
   */
  dbPath: string;
  /** `LINKPULSE_API_KEY`: when set, the management routes require it. */
  apiKey: string | undefined;
  /** `LINKPULSE_SECRET`, else the content of `<db>.secret`, created on first start. */
  secret: string;
  /** `LINKPULSE_BASE_URL`: public URL in front of the codes, e.g. `https://sho.rt`. */
  baseUrl: string | undefined;
  /** `LOG_LEVEL`, default `info`. */
  logLevel: string;
}

function port(value: string | undefined): number {
  const parsed = Number(value ?? 3000);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65_535) {
    throw new Error(`PORT must be a port number, got "${value}"`);
  }
  return parsed;
}

/**
 * The HMAC key of visitor ids must outlive restarts, or unique-visitor counts start over.
 * Without `LINKPULSE_SECRET`, one is generated on first start and kept beside the
 * database in `<db>.secret`, readable by the owner only (mode 0600).
 */
export function loadOrCreateSecret(dbPath: string): string {
  const file = `${dbPath}.secret`;
  mkdirSync(dirname(file), { recursive: true });
  try {
    writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const secret = readFileSync(file, 'utf8').trim();
  if (secret === '') throw new Error(`${file} is empty; delete it to generate a new secret`);
  return secret;
}

/** Reads the configuration from `env` (default `process.env`). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const dbPath = resolve(env.INIT_CWD || '.', env.LINKPULSE_DB || './data/linkpulse.db');
  return {
    port: port(env.PORT || undefined),
    host: env.HOST || '127.0.0.1',
    dbPath,
    apiKey: env.LINKPULSE_API_KEY || undefined,
    secret: env.LINKPULSE_SECRET || loadOrCreateSecret(dbPath),
    baseUrl: env.LINKPULSE_BASE_URL || undefined,
    logLevel: env.LOG_LEVEL || 'info',
  };
}
