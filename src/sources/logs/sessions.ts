import type { LogRecord } from './record.js';

const RECEIVED = /^connection received: host=(\S+)(?: port=(\d+))?/;
/** The application name may hold spaces; PostgreSQL writes the SSL/GSS details after it. */
const AUTHORIZED = /^connection authorized: user=\S+ database=\S+ application_name=(.*?)(?: (?:SSL|GSS) enabled .*| compression=.*)?$/;
/** A bound on open sessions remembered, so a log without disconnection lines cannot grow memory without end. */
const MAX_SESSIONS = 50_000;

interface Session {
  client?: string;
  port?: string;
  application?: string;
}

/**
 * Fills what a record's own fields lack from its session's connection lines, by pid: the client of `connection
 * received: host=H port=P` (for a log_line_prefix without %r or %h) and the application of `connection authorized:
 * … application_name=A` (for one without %a). A session is forgotten at its disconnection line.
 */
export class SessionAttributes {
  private readonly sessions = new Map<number, Session>();

  fill(record: LogRecord): LogRecord {
    const { pid, message } = record;
    if (pid === undefined) return record;
    if (message.startsWith('connection received: ')) {
      const m = RECEIVED.exec(message);
      if (m) {
        if (this.sessions.size >= MAX_SESSIONS) this.sessions.clear();
        this.sessions.set(pid, { client: m[1], port: m[2] });
      }
    } else if (message.startsWith('connection authorized: ')) {
      const application = AUTHORIZED.exec(message)?.[1];
      if (application) this.sessions.set(pid, { ...this.sessions.get(pid), application });
    }
    const session = this.sessions.get(pid);
    if (session) {
      record.client ??= session.client;
      record.port ??= session.port;
      record.application ??= session.application;
    }
    if (message.startsWith('disconnection: ')) this.sessions.delete(pid);
    return record;
  }
}
