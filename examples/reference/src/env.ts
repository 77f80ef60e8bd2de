/** Reading settings from environment variables, with errors that name the variable. */

/** A missing or malformed environment variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** The environment the settings come from (a `process.env`-like record). */
export type Env = Readonly<Record<string, string | undefined>>;

/** The value of `name`, or `undefined` when unset or empty. */
export function optional(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** The value of `name`; throws {@link ConfigError} when unset or empty. */
export function required(env: Env, name: string): string {
  const value = optional(env, name);
  if (value === undefined) throw new ConfigError(`${name} must be set`);
  return value;
}

/** An integer within `[min, max]`, `fallback` when unset. */
export function integer(
  env: Env,
  name: string,
  fallback: number,
  { min = 0, max = Number.MAX_SAFE_INTEGER }: { min?: number; max?: number } = {},
): number {
  const text = optional(env, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${text}"`);
  }
  return value;
}

/** A TCP port (0 picks a free one). */
export function port(env: Env, name: string, fallback: number): number {
  return integer(env, name, fallback, { max: 65_535 });
}

/** A comma-separated list without empty items; `[]` when unset. */
export function list(env: Env, name: string): string[] {
  return (optional(env, name) ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}
