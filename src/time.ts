import { DbsecError } from './errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/;
/** The longest look-back a window may have: far beyond any log retention, short of Date's range. */
const MAX_LOOKBACK_MS = 100 * 366 * 86_400_000;

/** "5m", "24h", "7d" → milliseconds; undefined when the text is not a duration. */
export function durationMs(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  return match ? Number(match[1]) * UNIT_MS[match[2]!]! : undefined;
}

export function parseDuration(text: string, what: string): number {
  const ms = durationMs(text);
  if (ms === undefined) throw new DbsecError(`${what} "${text}" is not a duration: use a number and a unit, e.g. 90s, 5m, 24h or 7d.`);
  return ms;
}

export interface TimeWindow {
  from: Date;
  to: Date;
}

/** The window flags as given: --since and --until, each a duration or an ISO-8601 time. */
export interface WindowFlags {
  since?: string;
  until?: string;
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * An ISO-8601 date or time; a time without an offset is UTC (dbsec's reports are in UTC). A day that the calendar
 * does not have (2026-02-30) is refused rather than rolled into the next month as Date would.
 */
export function parseInstant(text: string): Date | undefined {
  const match = ISO.exec(text.trim());
  if (!match) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00'] = match;
  const day = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (day.getUTCFullYear() !== Number(y) || day.getUTCMonth() !== Number(mo) - 1 || day.getUTCDate() !== Number(d)) return undefined;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return undefined;
  const normalized = text.trim().replace(' ', 'T');
  const instant = new Date(match[7] || match[4] === undefined ? normalized : `${normalized}Z`);
  return Number.isNaN(instant.getTime()) ? undefined : instant;
}

/** A flag's time: a duration back from `anchor`, or an ISO-8601 time. */
function instantOf(flag: '--since' | '--until', text: string, anchor: Date, anchorName: string): Date {
  const ms = durationMs(text);
  if (ms !== undefined) {
    if (ms > MAX_LOOKBACK_MS) throw new DbsecError(`${flag} "${text}" reaches back more than 100 years: give a shorter duration or an ISO-8601 time.`);
    return new Date(anchor.getTime() - ms);
  }
  const instant = parseInstant(text);
  if (!instant) {
    throw new DbsecError(`${flag} "${text}" is neither a duration back from ${anchorName} (24h, 7d, 30d) nor a real ISO-8601 time (2026-11-01T00:00:00Z).`);
  }
  return instant;
}

/**
 * The review window [since, until]. --until is an ISO time or a duration back from now (default: now); --since an
 * ISO time or a duration back from --until, so `--until 2026-11-21T12:00Z` alone reviews the cadence's usual span
 * ending then. An --until later than now is cut at now: nothing has been logged after it yet.
 */
export function reviewWindow(flags: WindowFlags, defaultSince: string, now: Date): TimeWindow {
  const until = windowEnd(flags.until, now);
  const to = until > now ? now : until;
  const from = instantOf('--since', flags.since ?? defaultSince, to, flags.until === undefined ? 'now' : '--until');
  if (from >= to) {
    throw new DbsecError(
      from >= now
        ? `--since ${from.toISOString()} is in the future: nothing has been logged after now (${now.toISOString()}).`
        : `--since ${from.toISOString()} is not before --until ${to.toISOString()}: give a --since earlier than --until.`,
    );
  }
  return { from, to };
}

/** --until as an instant: an ISO time or a duration back from now; now when not given. */
export function windowEnd(until: string | undefined, now: Date): Date {
  return until === undefined ? now : instantOf('--until', until, now, 'now');
}

/** A calendar month in UTC ("2026-10"), cut at now for the month in progress. */
export function monthWindow(month: string, now: Date): TimeWindow {
  const match = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(month);
  if (!match) throw new DbsecError(`--month "${month}" is not a month: use YYYY-MM, e.g. 2026-10.`);
  const from = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, 1));
  if (from > now) throw new DbsecError(`--month ${month} has not begun yet.`);
  const end = new Date(Date.UTC(Number(match[1]), Number(match[2]), 1));
  return { from, to: end < now ? end : now };
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(rest).padStart(2, '0')}s` : `${rest}s`;
}
