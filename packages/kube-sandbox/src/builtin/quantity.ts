// resource.Quantity: parsing (to compare sizes) and the canonical form the real server stores and
// returns ("0.5" -> "500m", "2048Mi" -> "2Gi", "1000m" -> "1"), so clients diffing what they sent
// against what they read see what a real cluster shows them.
const BINARY_POWER: Record<string, number> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const DECIMAL_EXP: Record<string, number> = {
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
const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;

type Format = 'BinarySI' | 'DecimalSI' | 'DecimalExponent';

interface Parsed {
  negative: boolean;
  /** The magnitude in nano-units (10^-9), rounded up like the server. */
  nano: bigint;
  format: Format;
}

const pow = (base: bigint, exp: number): bigint => base ** BigInt(exp);

function parse(value: unknown): Parsed | undefined {
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
  if (typeof text !== 'string') return undefined;
  const m = QUANTITY.exec(text.trim());
  if (!m) return undefined;
  const [, sign, digits = '', suffix = ''] = m;
  const [intPart = '', fracPart = ''] = digits.split('.');
  let numerator = BigInt(`${intPart}${fracPart}` || '0');
  let exp10 = 9 - fracPart.length;
  let format: Format = 'DecimalSI';
  if (suffix in BINARY_POWER) {
    numerator *= pow(1024n, BINARY_POWER[suffix]);
    format = 'BinarySI';
  } else if (suffix in DECIMAL_EXP) {
    exp10 += DECIMAL_EXP[suffix];
  } else {
    exp10 += Number(suffix.slice(1));
    format = 'DecimalExponent';
  }
  const nano =
    exp10 >= 0
      ? numerator * pow(10n, exp10)
      : (numerator + pow(10n, -exp10) - 1n) / pow(10n, -exp10);
  return { negative: sign === '-' && nano !== 0n, nano, format };
}

/** A quantity in signed nano-units (10^-9, finer values rounded up like the server); exact. */
export function quantityNanos(value: unknown): bigint | undefined {
  const p = parse(value);
  if (!p) return undefined;
  return p.negative ? -p.nano : p.nano;
}

/** The value of a quantity such as "10Gi", "500m" or "1e3"; undefined when it is not one. */
export function parseQuantity(value: unknown): number | undefined {
  const p = parse(value);
  if (!p) return undefined;
  const n = Number(p.nano) / 1e9;
  return p.negative ? -n : n;
}

const DECIMAL_SUFFIX: Record<number, string> = {
  [-9]: 'n',
  [-6]: 'u',
  [-3]: 'm',
  0: '',
  3: 'k',
  6: 'M',
  9: 'G',
  12: 'T',
  15: 'P',
  18: 'E',
};
const BINARY_SUFFIX = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
const NANO = 1_000_000_000n;

/** The canonical text of a quantity, or the input unchanged when it does not parse. */
export function canonicalQuantity(value: unknown): unknown {
  const p = parse(value);
  if (!p) return value;
  if (p.nano === 0n) return '0';
  const sign = p.negative ? '-' : '';
  let format = p.format;
  if (format === 'BinarySI' && (p.nano < 1024n * NANO || p.nano % NANO !== 0n))
    format = 'DecimalSI';
  if (format === 'BinarySI') {
    let n = p.nano / NANO;
    let power = 0;
    while (n % 1024n === 0n && power < 6) {
      n /= 1024n;
      power++;
    }
    return `${sign}${n}${BINARY_SUFFIX[power]}`;
  }
  let n = p.nano;
  let exp = -9;
  while (n % 1000n === 0n && exp < 18) {
    n /= 1000n;
    exp += 3;
  }
  if (format === 'DecimalExponent') return `${sign}${n}${exp === 0 ? '' : `e${exp}`}`;
  return `${sign}${n}${DECIMAL_SUFFIX[exp]}`;
}

/** Canonicalizes every value of a resource list ({cpu: "0.5"} -> {cpu: "500m"}) in place. */
export function canonicalizeResourceList(list: unknown): void {
  if (typeof list !== 'object' || list === null || Array.isArray(list)) return;
  const record = list as Record<string, unknown>;
  for (const [k, v] of Object.entries(record)) record[k] = canonicalQuantity(v);
}
