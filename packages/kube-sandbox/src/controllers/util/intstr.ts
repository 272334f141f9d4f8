// IntOrString arithmetic as k8s.io/apimachinery/pkg/util/intstr.GetScaledValueFromIntOrPercent.

export type IntOrString = number | string;

/** An int stays as is; "25%" of total rounds up or down as asked. Invalid strings throw. */
export function scaledValue(
  value: IntOrString | undefined,
  total: number,
  roundUp: boolean,
): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  const m = /^(\d+)%$/.exec(value);
  if (!m) {
    if (/^\d+$/.test(value)) return Number(value);
    throw new Error(`invalid value for IntOrString: invalid value "${value}"`);
  }
  const scaled = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}
