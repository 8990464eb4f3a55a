import { errorReply, jsonReply, type AwsEndpoint, type AwsRequest } from './aws-endpoint.js';
import type { LogEvent } from './aws-scenario.js';

/**
 * CloudWatch Logs Insights on the sandbox endpoint (JSON 1.1, Logs_20140328.StartQuery / GetQueryResults / StopQuery):
 * a query is Running when first asked about and Complete the next time, as a real one goes Scheduled → Running →
 * Complete. It runs the subset of the query language dbsec writes (fields, filter @message [not] like /re/ joined by and/or, parse @message /re/
 * with named groups, stats count(*)/min()/max() … by fields and bin(), sort, limit); anything else is a MalformedQueryException,
 * so a query the sandbox cannot run fails the test that sent it. Shapes: the CloudWatch Logs API reference
 * (StartQuery, GetQueryResults: results as lists of {field, value}, statistics, status); @log is
 * "account-id:log-group-name" (CloudWatch Logs User Guide, "Supported logs and discovered fields").
 */

type Row = Record<string, string>;
type Stage = (rows: Row[]) => Row[];

interface Query {
  status: 'Running' | 'Complete' | 'Cancelled';
  polls: number;
  rows: Row[];
  scanned: number;
  bytes: number;
}

/** Events of a log group as seen by this request's account and region; undefined: no such group. */
export type EventsOfGroup = (request: AwsRequest, group: string) => LogEvent[] | undefined;

export function serveLogsInsights(endpoint: AwsEndpoint, eventsOf: EventsOfGroup, accountOf: (request: AwsRequest) => string): { stopped: string[] } {
  const queries = new Map<string, Query>();
  const stopped: string[] = [];
  endpoint.on('logs.StartQuery', (request) => {
    const groups: string[] = request.input.logGroupNames ?? [];
    if (groups.length === 0 || groups.length > 50) return errorReply(request, 400, 'InvalidParameterException', 'logGroupNames must name 1 to 50 log groups');
    const sources = groups.map((group) => [group, eventsOf(request, group)] as const);
    const missing = sources.find(([, events]) => !events);
    if (missing) return errorReply(request, 400, 'ResourceNotFoundException', `Log group '${missing[0]}' does not exist for account ID '${accountOf(request)}'`);
    let stages: Stage[];
    try {
      stages = compile(String(request.input.queryString ?? ''));
    } catch (err) {
      return errorReply(request, 400, 'MalformedQueryException', (err as Error).message);
    }
    const from = Number(request.input.startTime) * 1000;
    const to = Number(request.input.endTime) * 1000;
    let rows: Row[] = [];
    let bytes = 0;
    for (const [group, events] of sources) {
      for (const event of events!) {
        if (event.timestamp < from || event.timestamp > to) continue;
        bytes += event.message.length;
        rows.push({ '@log': `${accountOf(request)}:${group}`, '@timestamp': stamp(event.timestamp), '@message': event.message });
      }
    }
    const scanned = rows.length;
    for (const stage of stages) rows = stage(rows);
    rows = rows.slice(0, Number(request.input.limit ?? 1000));
    const queryId = `q-${queries.size + 1}`;
    queries.set(queryId, { status: 'Running', polls: 0, rows, scanned, bytes });
    return jsonReply(request, { queryId });
  });
  endpoint.on('logs.GetQueryResults', (request) => {
    const query = queries.get(request.input.queryId);
    if (!query) return errorReply(request, 400, 'ResourceNotFoundException', 'Query does not exist');
    if (query.status === 'Running' && ++query.polls > 1) query.status = 'Complete';
    const done = query.status === 'Complete';
    return jsonReply(request, {
      status: query.status,
      results: done ? query.rows.map((row) => Object.entries(row).map(([field, value]) => ({ field, value }))) : [],
      statistics: { recordsMatched: done ? query.rows.length : 0, recordsScanned: query.scanned, bytesScanned: query.bytes },
    });
  });
  endpoint.on('logs.StopQuery', (request) => {
    const query = queries.get(request.input.queryId);
    if (!query || query.status !== 'Running') return jsonReply(request, { success: false });
    query.status = 'Cancelled';
    stopped.push(request.input.queryId);
    return jsonReply(request, { success: true });
  });
  return { stopped };
}

/** Insights writes times as "2026-11-21 14:03:07.123" (UTC). */
function stamp(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

/** A /…/ regular expression of the query language; a leading (?i) is its case-insensitive flag. */
function regex(text: string): RegExp {
  const body = /^\/(.*)\/$/s.exec(text.trim())?.[1];
  if (body === undefined) throw new Error(`expected a /regular expression/, got ${text}`);
  return body.startsWith('(?i)') ? new RegExp(body.slice(4), 'i') : new RegExp(body);
}

function compile(query: string): Stage[] {
  return query.split(/\n\s*\|\s*/).map((command) => {
    const [, verb = '', rest = ''] = /^\s*(\w+)\s+([\s\S]*)$/.exec(command) ?? [];
    switch (verb) {
      case 'fields':
        return (rows) => rows;
      case 'filter': {
        const test = condition(rest.trim());
        return (rows) => rows.filter((row) => test(row['@message'] ?? ''));
      }
      case 'parse': {
        const parse = /^@message\s+(\/.*\/)$/s.exec(rest.trim());
        if (!parse) throw new Error(`unsupported parse: ${rest}`);
        const pattern = regex(parse[1]!);
        // A group that took no part in the match gives no field, as in Insights.
        return (rows) => rows.map((row) => ({ ...row, ...Object.fromEntries(Object.entries(pattern.exec(row['@message'] ?? '')?.groups ?? {}).filter(([, v]) => v !== undefined)) }));
      }
      case 'stats':
        return stats(rest);
      case 'sort': {
        const [field = '@timestamp', order = 'desc'] = rest.trim().split(/\s+/);
        return (rows) => [...rows].sort((a, b) => (order === 'asc' ? 1 : -1) * String(a[field] ?? '').localeCompare(String(b[field] ?? '')));
      }
      case 'limit':
        return (rows) => rows.slice(0, Number(rest));
      default:
        throw new Error(`unsupported command: ${command.trim().split(/\s+/)[0]}`);
    }
  });
}

/** @message [not] like /re/, joined by and (binding first) and or. */
function condition(text: string): (message: string) => boolean {
  const term = /(?:\s+(and|or)\s+)?@message\s+(not\s+)?like\s+(\/(?:\\.|[^/])*\/)/y;
  const alternatives: Array<Array<(message: string) => boolean>> = [[]];
  let at = 0;
  for (let first = true; at < text.length; first = false) {
    term.lastIndex = at;
    const match = term.exec(text);
    if (!match || (first === (match[1] !== undefined))) throw new Error(`unsupported filter: ${text}`);
    if (match[1] === 'or') alternatives.push([]);
    const pattern = regex(match[3]!);
    const negated = match[2] !== undefined;
    alternatives[alternatives.length - 1]!.push((message) => pattern.test(message) !== negated);
    at = term.lastIndex;
  }
  return (message) => alternatives.some((all) => all.every((test) => test(message)));
}

/** stats count(*) as NAME[, min(FIELD) as NAME, max(FIELD) as NAME…] by FIELD, …, bin(1d) as NAME */
function stats(text: string): Stage {
  const match = /^(.+?)\s+by\s+(.+)$/s.exec(text.trim());
  if (!match) throw new Error(`unsupported stats: ${text}`);
  const aggregates = match[1]!.split(',').map((part) => {
    const aggregate = /^(count|min|max)\((\*|@?\w+)\)\s+as\s+(\w+)$/.exec(part.trim());
    if (!aggregate || (aggregate[1] === 'count') !== (aggregate[2] === '*')) throw new Error(`unsupported aggregate: ${part.trim()}`);
    return { fn: aggregate[1] as 'count' | 'min' | 'max', field: aggregate[2]!, name: aggregate[3]! };
  });
  const keys = match[2]!.split(',').map((part) => {
    const bin = /^bin\((\d+)([dhm])\)\s+as\s+(\w+)$/.exec(part.trim());
    if (bin) {
      const size = Number(bin[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000 }[bin[2] as 'd' | 'h' | 'm'];
      return { name: bin[3]!, of: (row: Row) => stamp(Math.floor(Date.parse(`${row['@timestamp']!.replace(' ', 'T')}Z`) / size) * size) };
    }
    const field = part.trim();
    if (!/^@?\w+$/.test(field)) throw new Error(`unsupported grouping: ${field}`);
    return { name: field, of: (row: Row) => row[field] ?? '' };
  });
  return (rows) => {
    const groups = new Map<string, Row>();
    for (const row of rows) {
      const values = keys.map((key) => [key.name, key.of(row)] as const);
      const id = JSON.stringify(values);
      let group = groups.get(id);
      if (!group) groups.set(id, (group = Object.fromEntries(values)));
      for (const { fn, field, name } of aggregates) {
        const value = fn === 'count' ? '' : (row[field] ?? '');
        if (fn === 'count') group[name] = String(Number(group[name] ?? 0) + 1);
        else if (group[name] === undefined || (fn === 'min' ? value < group[name]! : value > group[name]!)) group[name] = value;
      }
    }
    return [...groups.values()];
  };
}
