import type { UserConfig } from 'vitest/config';

export interface PresetOptions {
  /** Per-test timeout in ms (integration suites that start real servers need more). */
  testTimeout?: number;
  hookTimeout?: number;
  /** Run test files one at a time (suites that share ports, root-only resources or heavy servers). */
  serial?: boolean;
  globalSetup?: string[];
}

export function opsmithVitest(projectRoot: string, options?: PresetOptions): UserConfig;
