// Failpoints let tests kill the operator at a step boundary (issue 7: "an operator killed at any
// step converges"). Inert unless OPSMITH_FAILPOINTS names them, e.g.
// OPSMITH_FAILPOINTS=afterMemberAdd,afterMemberRemove:2 (the second time it is reached).

export const FAILPOINTS = [
  'afterSeedPvc',
  'afterMemberAdd',
  'afterLearnerPod',
  'afterPromote',
  'afterMoveLeader',
  'afterMemberRemove',
  'afterPodDelete',
  'afterPvcDelete',
  'afterUpgradePodDelete',
  'afterBackupUpload',
  'afterRestoreSeed',
] as const;
export type Failpoint = (typeof FAILPOINTS)[number];

export interface FailpointConfig {
  /** Failpoint -> which hit triggers it (1 = the first time). */
  armed: Map<string, number>;
}

export function parseFailpoints(value: string | undefined): FailpointConfig {
  const armed = new Map<string, number>();
  for (const part of (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [name, nth] = part.split(':');
    if (!(FAILPOINTS as readonly string[]).includes(name)) {
      throw new Error(`unknown failpoint ${name} (known: ${FAILPOINTS.join(', ')})`);
    }
    const n = nth === undefined ? 1 : Number(nth);
    if (!Number.isInteger(n) || n < 1) throw new Error(`failpoint ${part}: the count must be >= 1`);
    armed.set(name, n);
  }
  return { armed };
}

export class Failpoints {
  readonly #armed: Map<string, number>;
  readonly #hits = new Map<string, number>();
  readonly #onTrigger: (name: Failpoint) => never;

  constructor(config: FailpointConfig, onTrigger?: (name: Failpoint) => never) {
    this.#armed = config.armed;
    this.#onTrigger =
      onTrigger ??
      ((name) => {
        // Like a SIGKILL: no cleanup, no graceful shutdown. Exit code 86 marks a failpoint.
        process.stderr.write(`failpoint ${name} triggered: exiting\n`);
        process.exit(86);
      });
  }

  static fromEnv(env: NodeJS.ProcessEnv = process.env): Failpoints {
    return new Failpoints(parseFailpoints(env.OPSMITH_FAILPOINTS));
  }

  get enabled(): boolean {
    return this.#armed.size > 0;
  }

  /** Call right after a step's side effect; returns normally unless this point is armed. */
  hit(name: Failpoint): void {
    const want = this.#armed.get(name);
    if (want === undefined) return;
    const n = (this.#hits.get(name) ?? 0) + 1;
    this.#hits.set(name, n);
    if (n === want) this.#onTrigger(name);
  }
}
