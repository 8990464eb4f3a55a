import type { LogRecord } from '../sources/logs/record.js';

/**
 * What a TDengine log line says, for activity. The message shapes are taosd's mnode (source/dnode/mnode/impl/src/
 * mndProfile.c: mndProcessConnectReq), its dnode's start (dmMgmt: "TDengine initialized successfully"), the error text
 * of TSDB_CODE_MND_NO_RIGHTS, and taosAdapter's access line; fixtures/tdengine/logs holds one of each.
 */
export type TdengineEvent =
  | { kind: 'failed-login'; user: string; client: string; reason: string; userMissing: boolean }
  | { kind: 'login'; user: string; client: string; application: string }
  | { kind: 'denied'; object: string; action: string; message: string }
  | { kind: 'started' };

// mnode's trailer: ", QID:0x…:0x…" (3.3) or ", gtid:0x…:0x…" (3.0): the request's trace id, no use here.
const TRACE = String.raw`(?:, (?:QID|gtid):\S+)?`;
/** "user:U, failed to login from ADDR [while use db:D | while acquire user | while create connection] since REASON[, input:…]". */
const FAILED_LOGIN = new RegExp(String.raw`^user:(.+?), failed to login from (\S+?) (?:while (?:use db:\S+|acquire user|create connection) )?since (.+?)(?:, input:\S*)?${TRACE}$`);
/** "user:U, login from ADDR:PORT, conn:N, app:APP": mnode's debug level (debugFlag 135), absent at the default 131. */
const LOGIN = new RegExp(String.raw`^user:(.+?), login from (\S+):\d+, conn:\d+, app:(.*?)${TRACE}$`);
/** "db:D, failed to create since Insufficient privilege for operation": any object and action mnode refused. */
const DENIED = new RegExp(String.raw`^(\w+:.+?), failed to (.+?) since (Insufficient privilege for operation|Permission denied)${TRACE}$`);
/** taosAdapter: `"| 401 |  12.3µs |  192.0.2.7 | POST | /rest/sql "` model=web sessionID=… */
const ADAPTER_ACCESS = /^"\| (\d{3}) \|\s*\S+ \|\s*(\S+) \| (\S+) \| (.*?)\s*"/s;

/** The phrases of the lines tdengineEventOf reads: the log reader passes over the others without parsing them. */
export const TDENGINE_PHRASES = ['failed to login', 'login from', 'Insufficient privilege', 'Permission denied', 'initialized successfully', '| 401 |'];

export function tdengineEventOf(record: LogRecord): TdengineEvent | undefined {
  const { message } = record;
  if (record.component === 'TAOS_ADAPTER') {
    const access = ADAPTER_ACCESS.exec(message);
    // taosAdapter answers 401 to a REST or WebSocket login it refuses; the line names the address, not the user.
    if (access && access[1] === '401') return { kind: 'failed-login', user: 'unknown (taosAdapter)', client: access[2]!, reason: `HTTP 401 on ${access[3]} ${access[4]!.split('?')[0]}`, userMissing: false };
    return undefined;
  }
  const failed = FAILED_LOGIN.exec(message);
  if (failed) {
    const reason = failed[3]!;
    return { kind: 'failed-login', user: failed[1]!, client: failed[2]!, reason: /invalid pass|pass not match|Authentication failure/i.test(reason) ? 'wrong password' : reason, userMissing: /User not exist|user not exist/.test(reason) };
  }
  const login = LOGIN.exec(message);
  if (login) return { kind: 'login', user: login[1]!, client: login[2]!, application: login[3]! };
  const denied = DENIED.exec(message);
  if (denied) return { kind: 'denied', object: denied[1]!, action: denied[2]!, message: `failed to ${denied[2]} since ${denied[3]}` };
  if (message.startsWith('TDengine initialized successfully')) return { kind: 'started' };
  return undefined;
}
