import type { ActivityEvent } from './monitor.js';
import { severityRank, type Severity } from '../status.js';
import type { AlertStatus } from './rules.js';

/** One login's alerts close together in time: the story of what it did, in order. */
export interface Incident {
  /** The login (the log's user: the session's role, whatever SET ROLE made it later). */
  login: string;
  database: string | null;
  alerts: ActivityEvent[];
  /** Alerts past MAX_CHAIN: counted, not kept. */
  more: number;
  status: AlertStatus;
  severity: Severity;
}

/** Alerts kept per incident; the rest are counted. */
const MAX_CHAIN = 50;
/** Incidents kept; a log with more is cut, and the report says so. */
const MAX_INCIDENTS = 1000;

/**
 * Groups alerts, as they come in log order, into incidents: consecutive alerts of one login no further apart than
 * the gap. A login with one alert in a gap has no incident (the alert tells it); memory is bounded by the counts above.
 */
export class IncidentTracker {
  private readonly open = new Map<string, Incident>();
  private readonly lastTime = new Map<string, number>();
  private readonly closed: Incident[] = [];
  /** Incidents left out past MAX_INCIDENTS. */
  dropped = 0;

  constructor(private readonly gapMs: number) {}

  add(event: ActivityEvent): void {
    if (!event.alert || !event.user) return;
    const login = event.user;
    const time = event.time ? Date.parse(event.time) : NaN;
    const last = this.lastTime.get(login);
    const current = this.open.get(login);
    if (!Number.isNaN(time)) this.lastTime.set(login, time);
    if (current && last !== undefined && !Number.isNaN(time) && time - last <= this.gapMs) {
      if (current.alerts.length < MAX_CHAIN) current.alerts.push(event);
      else current.more++;
      if (severityRank(event.severity) > severityRank(current.severity)) current.severity = event.severity;
      if (event.alert.status === 'investigate') current.status = 'investigate';
      return;
    }
    if (current) this.close(current);
    this.open.set(login, { login, database: event.database, alerts: [event], more: 0, status: event.alert.status, severity: event.severity });
  }

  /** The incidents of two alerts or more, worst first, then by when they began. */
  incidents(): Incident[] {
    for (const incident of this.open.values()) this.close(incident);
    this.open.clear();
    return this.closed.sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || (a.alerts[0]!.time ?? '').localeCompare(b.alerts[0]!.time ?? ''));
  }

  private close(incident: Incident): void {
    if (incident.alerts.length < 2) return;
    if (this.closed.length < MAX_INCIDENTS) this.closed.push(incident);
    else this.dropped++;
  }
}
