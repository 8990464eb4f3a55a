import { createSpinner } from 'nanospinner';
import type { Progress } from './runner.js';

/** A spinner on stderr counting finished checks; only for a terminal, never in JSON mode or when piped. */
export function terminalProgress(stream: NodeJS.WriteStream, label: string): Progress {
  const spinner = createSpinner('', { stream });
  let total = 0;
  let finished = 0;
  return {
    start(count) {
      total = count;
      spinner.start({ text: `${label}: 0/${total} checks` });
    },
    done(checkId) {
      finished++;
      spinner.update({ text: `${label}: ${finished}/${total} checks (last: ${checkId})` });
    },
    stop() {
      spinner.clear();
      spinner.stop();
    },
  };
}
