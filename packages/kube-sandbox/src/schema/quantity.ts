// Kubernetes resource quantities ("500m", "1Gi", "2e3") for the CEL quantity library. Values are
// kept as exact rationals over 10^9 where possible, so comparisons of usual quantities are exact.

const BINARY: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const DECIMAL: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

export class Quantity {
  readonly text: string;
  /** value * 10^9, as a bigint (nano units): exact for every suffix down to n. */
  readonly nanos: bigint;

  constructor(text: string, nanos: bigint) {
    this.text = text;
    this.nanos = nanos;
  }

  static parse(text: string): Quantity | undefined {
    const m = QUANTITY.exec(text.trim());
    if (!m) return undefined;
    const [, numberPart = '0', suffix = ''] = m;
    const negative = numberPart.startsWith('-');
    const digits = numberPart.replace(/^[+-]/, '');
    const [intPart = '0', fracPart = ''] = digits.split('.');
    let exp10 = 0;
    let multiplier = 1n;
    if (suffix in BINARY) multiplier = BigInt(BINARY[suffix] ?? 1);
    else if (suffix in DECIMAL) exp10 = DECIMAL[suffix] ?? 0;
    else exp10 = Number(suffix.slice(1));
    // nanos = (int.frac) * multiplier * 10^(exp10 + 9)
    const mantissa = BigInt((intPart || '0') + fracPart);
    const scale = exp10 + 9 - fracPart.length;
    let nanos =
      scale >= 0
        ? mantissa * multiplier * 10n ** BigInt(scale)
        : (mantissa * multiplier) / 10n ** BigInt(-scale);
    if (negative) nanos = -nanos;
    return new Quantity(text, nanos);
  }

  static fromNanos(nanos: bigint): Quantity {
    return new Quantity(formatNanos(nanos), nanos);
  }

  compare(other: Quantity): number {
    return this.nanos < other.nanos ? -1 : this.nanos > other.nanos ? 1 : 0;
  }

  isInteger(): boolean {
    return this.nanos % 1_000_000_000n === 0n;
  }

  toString(): string {
    return this.text;
  }
}

function formatNanos(nanos: bigint): string {
  if (nanos % 1_000_000_000n === 0n) return String(nanos / 1_000_000_000n);
  if (nanos % 1_000_000n === 0n) return `${nanos / 1_000_000n}m`;
  if (nanos % 1000n === 0n) return `${nanos / 1000n}u`;
  return `${nanos}n`;
}
