import pRetry, { AbortError } from 'p-retry';
import type { Report } from './report.js';
import { atOrAbove, type FailOn } from './status.js';
import { messageOf } from './errors.js';

export interface NotifyOptions {
  url: string;
  on: FailOn;
  /** Per attempt. */
  timeoutMs?: number;
  retries?: number;
  /** Tests make retries immediate. */
  minTimeoutMs?: number;
}

/** The JSON a webhook receives: a summary a human reads in Slack (`text`) and the worst findings for a machine. */
export function notificationOf(report: Report) {
  const worst = report.findings.filter((f) => !f.suppressed && (f.status === 'investigate' || f.status === 'monitor')).slice(0, 10);
  const s = report.summary;
  const targets = report.targets.map((t) => t.name).join(', ');
  return {
    text: `dbsec ${report.command} on ${targets}: ${s.investigate} investigate, ${s.monitor} monitor, ${s.error} error.${worst.length ? `\n${worst.map((f) => `• ${f.status.toUpperCase()} ${f.checkId}: ${f.title}`).join('\n')}` : ''}`,
    tool: report.tool,
    command: report.command,
    targets,
    window: report.window,
    summary: report.summary,
    findings: worst.map((f) => ({ checkId: f.checkId, status: f.status, target: f.target, title: f.title, resource: f.resource })),
  };
}

/**
 * POSTs the summary when the worst status reaches `on`; retried with backoff on network errors and 5xx/429, bounded
 * by a timeout per attempt. Returns a sentence for stderr, or undefined when nothing was due. Never throws.
 */
export async function notify(report: Report, options: NotifyOptions): Promise<string | undefined> {
  if (!report.findings.some((f) => !f.suppressed && atOrAbove(f.status, options.on))) return undefined;
  return post(notificationOf(report), options);
}

/** POSTs one JSON message to the webhook, with the retries and timeouts of notify; a sentence when it failed. */
export async function post(message: object, options: Omit<NotifyOptions, 'on'>): Promise<string | undefined> {
  const body = JSON.stringify(message);
  try {
    await pRetry(
      async () => {
        const response = await fetch(options.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(options.timeoutMs ?? 10_000) });
        if (response.status >= 500 || response.status === 429) throw new Error(`HTTP ${response.status}`);
        if (!response.ok) throw new AbortError(`HTTP ${response.status}`);
      },
      { retries: options.retries ?? 3, minTimeout: options.minTimeoutMs ?? 1000, factor: 2 },
    );
    return undefined;
  } catch (err) {
    return `the notification to ${safeUrl(options.url)} failed: ${messageOf(err)}; the report itself is unchanged.`;
  }
}

/** A webhook URL often carries its secret in the path (Slack); only scheme and host are shown. */
export function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}/…`;
  } catch {
    return 'the --notify URL';
  }
}
