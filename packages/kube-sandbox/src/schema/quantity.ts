// Kubernetes resource quantities ("500m", "1Gi", "2e3") for the CEL quantity library. Values are
// kept as exact nano-units (parsed like the API server parses them), so comparisons are exact.
import { quantityNanos } from '../builtin/quantity.ts';

export class Quantity {
  readonly text: string;
  /** value * 10^9, as a bigint (nano units): exact for every suffix down to n. */
  readonly nanos: bigint;

  constructor(text: string, nanos: bigint) {
    this.text = text;
    this.nanos = nanos;
  }

  static parse(text: string): Quantity | undefined {
    const nanos = quantityNanos(text);
    return nanos === undefined ? undefined : new Quantity(text, nanos);
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
