/** A status condition by the Kubernetes API conventions (metav1.Condition). */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export type ConditionInput = Omit<Condition, 'lastTransitionTime' | 'message'> & {
  message?: string;
};

const REASON = /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/;

/** Seconds precision, as metav1.Time serializes. */
export function conditionTime(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Returns a new list with the condition set; lastTransitionTime moves only when status changes.
 * Throws on reasons the API server would reject.
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  input: ConditionInput,
  now: Date = new Date(),
): Condition[] {
  if (!REASON.test(input.reason))
    throw new Error(
      `condition ${input.type}: reason ${JSON.stringify(input.reason)} must be CamelCase`,
    );
  const list = [...(conditions ?? [])];
  const i = list.findIndex((c) => c.type === input.type);
  const prev = i >= 0 ? list[i] : undefined;
  const next: Condition = {
    type: input.type,
    status: input.status,
    reason: input.reason,
    message: (input.message ?? '').slice(0, 32768),
    lastTransitionTime:
      prev && prev.status === input.status ? prev.lastTransitionTime : conditionTime(now),
    ...(input.observedGeneration !== undefined
      ? { observedGeneration: input.observedGeneration }
      : {}),
  };
  if (i >= 0) list[i] = next;
  else list.push(next);
  return list;
}

/** Reports every expected condition from the first pass: missing ones become Unknown. */
export function initConditions(
  conditions: readonly Condition[] | undefined,
  types: readonly string[],
  observedGeneration?: number,
  now: Date = new Date(),
): Condition[] {
  let list = [...(conditions ?? [])];
  for (const type of types)
    if (!list.some((c) => c.type === type))
      list = setCondition(
        list,
        { type, status: 'Unknown', reason: 'Reconciling', observedGeneration },
        now,
      );
  return list;
}

export function getCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function isConditionTrue(
  conditions: readonly Condition[] | undefined,
  type: string,
): boolean {
  return getCondition(conditions, type)?.status === 'True';
}

export function removeCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition[] {
  return (conditions ?? []).filter((c) => c.type !== type);
}

/** Whether two condition lists differ in anything but timestamps (to skip no-op status writes). */
export function conditionsChanged(
  a: readonly Condition[] = [],
  b: readonly Condition[] = [],
): boolean {
  const strip = (l: readonly Condition[]) =>
    JSON.stringify(l.map(({ lastTransitionTime: _t, ...rest }) => rest));
  return strip(a) !== strip(b);
}
