import type { LogRecord, LogStats } from './record.js';
import { MAX_LINE_BYTES } from './lines.js';

/**
 * The head TDengine 3.x writes before every line of taosd's log (taosdlog.N) and of taosAdapter's: "MM/DD
 * HH:MM:SS.uuuuuu" in the server's local time, the thread id (%08d), the module ("MND", "DND", "TAOS_ADAPTER"), then
 * the level where the version writes one ("MND ERROR ", taosAdapter's "info"), and the message. From taosBuildLogHead
 * in source/util/src/tlog.c and the module macros (mGError, dInfo) of taosdata/TDengine; fixtures/tdengine/logs.
 */
export const TDENGINE_HEAD = /^(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})\.(\d{6}) \d+ ([A-Za-z_]+) (?:(FATAL|ERROR|WARN|WARNING|INFO|DEBUG|TRACE|fatal|error|warn|warning|info|debug|trace) )?(.*)$/;

/** The banner TDengine writes when it opens a log file: not a record, and not damage either. */
const BANNER = /^(?:=+|\s*new log file\s*)$/;

/**
 * taosd's and taosAdapter's lines as records: the module is the record's component, the level upper-cased (LOG when
 * the version writes none). The year is not in the line: it is the run's, or the year before for a date after the run.
 * A line without the head continues the record before it (taosAdapter splits a request path with a newline).
 */
export class TdengineLines {
  private pending?: LogRecord;
  /** The last head line was passed over: the lines continuing it go with it. */
  private passing = false;

  constructor(
    private readonly stats: LogStats,
    private readonly out: LogRecord[],
    private readonly now: Date,
  ) {}

  line(line: string): void {
    const head = TDENGINE_HEAD.exec(line);
    if (!head) {
      if (BANNER.test(line) || line.trim() === '') return;
      if (this.passing) this.stats.passedOver++;
      else if (this.pending && this.pending.message.length < MAX_LINE_BYTES) this.pending.message += `\n${line}`;
      else this.stats.skipped++;
      return;
    }
    this.flush();
    this.passing = false;
    const [, month, day, hour, minute, second, micros, component, level, message] = head;
    this.pending = { time: this.timeOf(+month!, +day!, +hour!, +minute!, +second!, +micros!), component: component!, level: level ? level.toUpperCase().replace('WARNING', 'WARN') : 'LOG', message: message! };
  }

  end(): void {
    this.flush();
  }

  /**
   * A line holding none of the reader's phrases, given its first byte: a head line (it starts with the month's digit)
   * is passed over unparsed, with the lines continuing it; anything else is read, to be told a banner or a continuation.
   */
  passOver(firstByte: number): boolean {
    if (firstByte < 0x30 || firstByte > 0x39) return false;
    this.flush();
    this.passing = true;
    this.stats.passedOver++;
    return true;
  }

  private flush(): void {
    if (!this.pending) return;
    this.stats.records++;
    this.out.push(this.pending);
    this.pending = undefined;
  }

  private timeOf(month: number, day: number, hour: number, minute: number, second: number, micros: number): Date {
    const at = (year: number) => new Date(year, month - 1, day, hour, minute, second, Math.floor(micros / 1000));
    const thisYear = at(this.now.getFullYear());
    // A line dated more than a day past the run was written last year (a log read in January holds December).
    return thisYear.getTime() > this.now.getTime() + 86_400_000 ? at(this.now.getFullYear() - 1) : thisYear;
  }
}
