import { execFile } from 'node:child_process';

const BIN = new URL('../../bin/dbsec', import.meta.url).pathname;

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The built CLI (bin/dbsec) as a user runs it: its own process, only the environment given, its exit code. */
export function runCli(args: string[], env: Record<string, string>, timeout = 60_000): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env, timeout, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}
