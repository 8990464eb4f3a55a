import type { Progress } from './runner.js';

/** A spinner on stderr (ora, which checks that stream's own TTY) for long work; callers use it only on a terminal. */
export async function spinner(stream: NodeJS.WriteStream, text: string) {
  const { default: ora } = await import('ora');
  return ora({ text, stream, discardStdin: false }).start();
}

/** Counts finished checks, and targets for a fleet, on the spinner; never used in JSON mode, when piped, or with --quiet. */
export async function terminalProgress(stream: NodeJS.WriteStream, label: string): Promise<Progress> {
  const active = await spinner(stream, `${label}: starting`);
  const counter = new ProgressCounter(label);
  return {
    start(checks, targets) {
      active.text = counter.start(checks, targets);
    },
    done(checkId, target) {
      active.text = counter.done(checkId, target);
    },
    stop() {
      active.stop();
    },
  };
}

/** The spinner's text: "dbsec daily: 37 of 200 targets, 262/1400 checks (last: daily.cpu)". */
export class ProgressCounter {
  private checks = 0;
  private targets = 0;
  private finished = 0;
  private readonly finishedByTarget = new Map<string, number>();
  private targetsDone = 0;

  constructor(private readonly label: string) {}

  start(checks: number, targets: number): string {
    this.checks = checks;
    this.targets = targets;
    return this.text();
  }

  done(checkId: string, target: string): string {
    this.finished++;
    const ofTarget = (this.finishedByTarget.get(target) ?? 0) + 1;
    this.finishedByTarget.set(target, ofTarget);
    if (ofTarget === this.checks / Math.max(this.targets, 1)) this.targetsDone++;
    return this.text(checkId);
  }

  private text(last?: string): string {
    const targets = this.targets > 1 ? `${this.targetsDone} of ${this.targets} targets, ` : '';
    return `${this.label}: ${targets}${this.finished}/${this.checks} checks${last ? ` (last: ${last})` : ''}`;
  }
}
