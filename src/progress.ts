import type { Progress } from './runner.js';

/** A spinner on stderr (ora, which checks that stream's own TTY) for long work; callers use it only on a terminal. */
export async function spinner(stream: NodeJS.WriteStream, text: string) {
  const { default: ora } = await import('ora');
  return ora({ text, stream, discardStdin: false }).start();
}

/** Counts finished checks on the spinner; never used in JSON mode, when piped, or with --quiet. */
export async function terminalProgress(stream: NodeJS.WriteStream, label: string): Promise<Progress> {
  const active = await spinner(stream, `${label}: starting`);
  let total = 0;
  let finished = 0;
  return {
    start(count) {
      total = count;
      active.text = `${label}: 0/${total} checks`;
    },
    done(checkId) {
      finished++;
      active.text = `${label}: ${finished}/${total} checks (last: ${checkId})`;
    },
    stop() {
      active.stop();
    },
  };
}
