/**
 * Cron expressions, as node-cron 4 reads them, and the previous fire time of one —
 * which node-cron does not offer and the scheduler needs to catch up a run missed while
 * it was down.
 *
 * Fields: [second] minute hour day-of-month month day-of-week; 5 fields mean second 0.
 * Each field is a list of `*`, `N` or `N-M`, each optionally `/STEP`; months and week days
 * may be names (jan, october, mon…); week day 7 is Sunday. As in node-cron, a day fires
 * only when it matches both day-of-month and day-of-week.
 */

export interface CronFields {
  second: number[];
  minute: number[];
  hour: number[];
  day: number[];
  month: number[];
  weekday: number[];
}

const FIELDS: Array<{ key: keyof CronFields; min: number; max: number; names?: string[] }> = [
  { key: 'second', min: 0, max: 59 },
  { key: 'minute', min: 0, max: 59 },
  { key: 'hour', min: 0, max: 23 },
  { key: 'day', min: 1, max: 31 },
  { key: 'month', min: 1, max: 12, names: ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'] },
  { key: 'weekday', min: 0, max: 7, names: ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] },
];

export class CronError extends Error {
  override name = 'CronError';
}

function parseField(text: string, f: (typeof FIELDS)[number]): number[] {
  const value = (s: string): number => {
    const lower = s.toLowerCase();
    const i = f.names?.findIndex((n) => lower === n || lower === n.slice(0, 3)) ?? -1;
    const v = i >= 0 ? i + f.min : /^\d+$/.test(s) ? Number(s) : NaN;
    if (!(v >= f.min && v <= f.max)) throw new CronError(`"${s}" is not a valid ${f.key} (${f.min}–${f.max}${f.names ? ' or a name' : ''})`);
    return v;
  };
  const out = new Set<number>();
  for (const item of text.split(',')) {
    const m = /^(\*|[a-z0-9]+(?:-[a-z0-9]+)?)(?:\/(\d+))?$/i.exec(item);
    if (!m) throw new CronError(`"${item}" is not a valid ${f.key} field`);
    const step = m[2] === undefined ? 1 : Number(m[2]);
    if (step < 1) throw new CronError(`step "/${m[2]}" of the ${f.key} field must be at least 1`);
    let lo: number, hi: number;
    if (m[1] === '*') [lo, hi] = [f.min, f.key === 'weekday' ? 6 : f.max];
    else {
      const [a, b] = m[1]!.split('-');
      lo = value(a!);
      hi = b === undefined ? (m[2] === undefined ? lo : f.max) : value(b);
    }
    if (lo > hi) throw new CronError(`range "${m[1]}" of the ${f.key} field runs backwards`);
    for (let v = lo; v <= hi; v += step) out.add(f.key === 'weekday' && v === 7 ? 0 : v);
  }
  return [...out].sort((a, b) => a - b);
}

export function parseCron(expr: string): CronFields {
  const parts = expr.trim().split(/\s+/);
  if (parts.length !== 5 && parts.length !== 6) throw new CronError(`"${expr}" has ${parts.length} fields; a cron expression has 5 (minute hour day month weekday) or 6 (second first)`);
  if (parts.length === 5) parts.unshift('0');
  const fields = {} as CronFields;
  FIELDS.forEach((f, i) => (fields[f.key] = parseField(parts[i]!, f)));
  return fields;
}

interface Civil {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Wall-clock time of an instant in a time zone. */
export function civilTime(t: number, timeZone: string): Civil {
  let fmt = formatters.get(timeZone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(timeZone, fmt);
  }
  const p = Object.fromEntries(fmt.formatToParts(new Date(t)).map((x) => [x.type, Number(x.value)]));
  return { year: p.year!, month: p.month!, day: p.day!, hour: p.hour!, minute: p.minute!, second: p.second! };
}

const asUtc = (c: Civil) => Date.UTC(c.year, c.month - 1, c.day, c.hour, c.minute, c.second);

/**
 * The instants a wall-clock time denotes in a time zone, latest first: none in a DST gap,
 * two in a DST fold (the hour that happens twice), else one.
 */
function instantsOf(c: Civil, timeZone: string): number[] {
  const guess = asUtc(c);
  const offsets = new Set([-12, 12].map((h) => asUtc(civilTime(guess + h * 3600_000, timeZone)) - (guess + h * 3600_000)));
  return [...offsets].map((o) => guess - o).filter((t) => asUtc(civilTime(t, timeZone)) === guess).sort((a, b) => b - a);
}

const desc = (xs: number[]) => [...xs].reverse();

/** Throws CronError unless `timeZone` is an IANA zone name Intl knows. */
export function checkTimeZone(timeZone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    throw new CronError(`unknown time zone "${timeZone}" (use an IANA name such as Asia/Tokyo)`);
  }
}

/** Wall-clock times matching the expression, latest first, from `from` down to `years` years before it. */
function* descending(fields: CronFields, from: Civil, years: number): Generator<Civil> {
  for (let year = from.year; year >= from.year - years; year--) {
    const yb = year === from.year;
    for (const month of desc(fields.month)) {
      if (yb && month > from.month) continue;
      const mb = yb && month === from.month;
      const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
      for (const day of desc(fields.day)) {
        if (day > days || (mb && day > from.day)) continue;
        if (!fields.weekday.includes(new Date(Date.UTC(year, month - 1, day)).getUTCDay())) continue;
        const db = mb && day === from.day;
        for (const hour of desc(fields.hour)) {
          if (db && hour > from.hour) continue;
          const hb = db && hour === from.hour;
          for (const minute of desc(fields.minute)) {
            if (hb && minute > from.minute) continue;
            const ib = hb && minute === from.minute;
            for (const second of desc(fields.second)) {
              if (ib && second > from.second) continue;
              yield { year, month, day, hour, minute, second };
            }
          }
        }
      }
    }
  }
}

/**
 * The latest fire time of the expression at or before `at` (null if none in the 30 years
 * before it). Walks the matching wall-clock times downwards, a few candidates per field
 * rather than one per second. Where clocks go back (end of DST) wall-clock order and real
 * order differ by up to the zone's DST shift, so the walk starts that much later and goes
 * on that much past the first hit, keeping the latest instant.
 */
export function previousFire(fields: CronFields, timeZone: string, at: Date): Date | null {
  const limit = at.getTime();
  const offsets = [0, -182, 182, -365].map((d) => {
    const t = limit + d * 86_400_000;
    return asUtc(civilTime(t, timeZone)) - t;
  });
  const margin = Math.max(...offsets) - Math.min(...offsets); // 0 without DST, 1 h with it
  let best: number | null = null;
  let floor = -Infinity;
  for (const c of descending(fields, civilTime(limit + margin, timeZone), 30)) {
    const wall = asUtc(c);
    if (wall < floor) break;
    const t = instantsOf(c, timeZone).find((x) => x <= limit);
    if (t !== undefined && (best === null || t > best)) {
      if (best === null) floor = wall - margin;
      best = t;
    }
  }
  return best === null ? null : new Date(best);
}
