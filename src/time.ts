import { DbsecError } from './errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/;

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

/** --since accepts a duration back from now or an ISO-8601 instant. */
export function windowSince(since: string, now: Date): TimeWindow {
  const ms = durationMs(since);
  if (ms !== undefined) return { from: new Date(now.getTime() - ms), to: now };
  if (/^\d{4}-\d{2}-\d{2}/.test(since)) {
    const from = new Date(since);
    if (!Number.isNaN(from.getTime()) && from <= now) return { from, to: now };
  }
  throw new DbsecError(`--since "${since}" is neither a duration (24h, 7d, 30d) nor a past ISO-8601 time (2026-11-01T00:00:00Z).`);
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
