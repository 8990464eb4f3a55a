import { execFile as execFileCb } from 'node:child_process';
import { promisify } from 'node:util';

const execFile = promisify(execFileCb);

/** The package manager's own records are read once each, bounded in time and size. */
const RUN = { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 };

export interface PackageProblem {
  path: string;
  /** dpkg's or rpm's nine flag characters (5: digest differs), or "missing". */
  flags: string;
  /** A configuration file, which its administrator may change. */
  config: boolean;
}

export type PackageVerdict =
  | { manager: 'dpkg' | 'rpm'; packages: string[]; problems: PackageProblem[] }
  | { manager: 'none'; reason: string };

/**
 * The packages that own the directories, verified by their package manager against its own digests (Debian
 * `dpkg --verify`, RPM `rpm -V`): what changed since the package installed it, with no manifest of ours needed.
 * dpkg reads DPKG_ADMINDIR and rpm its --dbpath from the environment as usual.
 */
export async function verifyPackages(dirs: readonly string[]): Promise<PackageVerdict> {
  const dpkg = await owners('dpkg-query', ['-S', ...dirs], (out) => out.split('\n').flatMap((line) => (line.includes(': ') ? line.slice(0, line.lastIndexOf(': ')).split(', ') : [])));
  if (dpkg) return { manager: 'dpkg', packages: dpkg, problems: parseVerify((await run('dpkg', ['--verify', ...dpkg])) ?? '') };
  const rpm = await owners('rpm', ['-qf', '--qf', '%{NAME}\n', ...dirs], (out) => out.split('\n').filter((l) => l && !/not owned/.test(l)));
  if (rpm) return { manager: 'rpm', packages: rpm, problems: parseVerify((await run('rpm', ['-V', ...rpm])) ?? '') };
  return { manager: 'none', reason: 'no package manager owns these directories (neither dpkg nor rpm knows them): they are checked against the manifest only' };
}

async function owners(command: string, args: string[], parse: (out: string) => string[]): Promise<string[] | undefined> {
  const out = await run(command, args);
  if (out === undefined) return undefined;
  const packages = [...new Set(parse(out).map((p) => p.trim()).filter(Boolean))].sort();
  return packages.length ? packages : undefined;
}

/** Standard output, also when the command exits non-zero (rpm -V does when something changed); undefined when it cannot run. */
async function run(command: string, args: string[]): Promise<string | undefined> {
  try {
    return (await execFile(command, args, RUN)).stdout;
  } catch (err) {
    const failed = err as { code?: string | number; stdout?: string };
    if (failed.code === 'ENOENT' || typeof failed.stdout !== 'string') return undefined;
    return failed.stdout;
  }
}

/** `??5??????   /path`, `??5?????? c /etc/…`, `missing     /path` (dpkg); `S.5....T.  c /path`, `missing   /path` (rpm). */
export function parseVerify(output: string): PackageProblem[] {
  const problems: PackageProblem[] = [];
  for (const line of output.split('\n')) {
    const match = /^(missing|\S{9})\s+(?:([cdglr])\s+)?(\/.*)$/.exec(line);
    if (match) problems.push({ path: match[3]!, flags: match[1]!, config: match[2] === 'c' });
  }
  return problems;
}
