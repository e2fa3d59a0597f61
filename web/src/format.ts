const numberFormat = new Intl.NumberFormat('en');
const moneyFormat = new Intl.NumberFormat('en', { maximumFractionDigits: 2, minimumFractionDigits: 2 });

export const num = (n: number | null | undefined): string =>
  n === null || n === undefined ? '–' : numberFormat.format(n);
export const money = (n: number | null | undefined): string =>
  n === null || n === undefined ? '–' : moneyFormat.format(n);
export const pct = (n: number | null | undefined, digits = 1): string =>
  n === null || n === undefined || Number.isNaN(n) ? '–' : `${(n * 100).toFixed(digits)}%`;

export function when(iso: string | null | undefined): string {
  if (!iso) return '–';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toISOString().replace('T', ' ').slice(0, 16);
}

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '–';
  const hours = ms / 3_600_000;
  if (hours < 1) return `${Math.round(ms / 60_000)} min`;
  if (hours < 48) return `${hours.toFixed(1)} h`;
  return `${(hours / 24).toFixed(1)} days`;
}

export function show(value: unknown): string {
  if (value === null || value === undefined) return '–';
  if (typeof value === 'string') return value;
  if (typeof value === 'number')
    return Number.isInteger(value) ? num(value) : String(Math.round(value * 1000) / 1000);
  return JSON.stringify(value);
}
