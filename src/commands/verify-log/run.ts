import { verifyAlertLog } from '../../alert-log.js';
import type { Io } from '../../io.js';
import { safeText } from '../../redact.js';
import { EXIT } from '../../status.js';
import { keyFromEnv } from '../shared/keys.js';

export async function verifyLog(file: string, flags: { signKeyEnv?: string }, io: Io): Promise<number> {
  const key = keyFromEnv(flags.signKeyEnv, io);
  const { lines, last, problems } = await verifyAlertLog(file, key);
  const name = safeText(file);
  const tail = last ? `; last line: sequence ${last.seq}, sha256 ${last.sha256}` : '';
  if (problems.length === 0) {
    io.stdout.write(`${name}: ${lines} line${lines === 1 ? '' : 's'}, the chain is intact${key ? ' and every HMAC matches' : ' (no key: a forger who rewrote every later line would not show)'}${tail}.\n`);
    return EXIT.clean;
  }
  io.stdout.write(`${problems.map((p) => `${name}:${p.line}: ${p.problem}`).join('\n')}\n${name}: ${problems.length} problem${problems.length === 1 ? '' : 's'} in ${lines} lines${tail}.\n`);
  return EXIT.findings;
}
