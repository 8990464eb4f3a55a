import { readRecords } from '../../src/sources/logs/formats.js';
import { newLogStats, type LogFormat } from '../../src/sources/logs/record.js';
import { openLog } from '../../src/sources/logs/file-reader.js';
import { ActivityMonitor, type ActivityEvent } from '../../src/activity/monitor.js';
import type { ActivityConfig } from '../../src/activity/rules.js';

/** The recordings' log_line_prefix (RDS's). */
const PREFIX = '%t:%r:%u@%d:[%p]:';

/** Every event the monitor makes of a recorded log, with its summary and the reader's counts. */
export async function classifyRecordedLog(path: string, config: ActivityConfig, format: LogFormat | 'auto' = 'auto', prefix: string | readonly string[] = PREFIX) {
  const events: ActivityEvent[] = [];
  const monitor = new ActivityMonitor({ config, onEvent: (e) => events.push(e) });
  const stats = newLogStats();
  for await (const batch of readRecords((await openLog(path)) as AsyncIterable<Buffer>, format, prefix, stats)) batch.forEach((entry) => monitor.handle(entry));
  return { events, summary: monitor.summary, stats };
}
