import type { Profile } from '../config.js';
import type { Collector } from '../results.js';

/** What every scenario gets. */
export interface ScenarioContext {
  profile: Profile;
  collector: Collector;
  log: (line: string) => void;
  /** Scratch folder of this run (SQLite files, CPU profiles). */
  tmpDir: string;
}

/** Bytes as MiB. */
export const MIB = 2 ** 20;
