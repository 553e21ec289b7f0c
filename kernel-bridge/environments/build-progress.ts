// How far a build has come, for people watching it: a phase, a fraction from 0 to 1, and the
// installer's latest line. Installers do not say how many packages they will fetch before they
// have resolved, so the fraction moves by landmarks (phases, and lines that mark steps within
// the install) and only ever forwards.

export interface BuildProgress {
  phase: string;
  /** 0 to 1. */
  progress: number;
  /** The installer's latest line, if any. */
  line?: string;
}

export type BuildPhase = 'waiting' | 'queued' | 'creating' | 'installing' | 'helper' | 'checking' | 'finishing';

const PHASES: Record<BuildPhase, { label: string; from: number; to: number }> = {
  waiting: { label: 'Waiting for another build of this environment', from: 0, to: 0 },
  queued: { label: 'Waiting for other environments to finish building', from: 0, to: 0 },
  creating: { label: 'Creating the environment', from: 0.02, to: 0.1 },
  installing: { label: 'Installing packages', from: 0.1, to: 0.85 },
  helper: { label: 'Installing the Tandem helper', from: 0.85, to: 0.9 },
  checking: { label: 'Checking the kernel', from: 0.9, to: 0.97 },
  finishing: { label: 'Finishing', from: 0.97, to: 1 },
};

// Lines of pip and uv that mark a step of an install, and how far through it each puts us.
const LANDMARKS: [RegExp, number][] = [
  [/^Installing collected packages/, 0.8], // pip: everything is downloaded
  [/^Successfully installed/, 1], // pip
  [/^Resolved \d+ package/, 0.35], // uv
  [/^Prepared \d+ package/, 0.75], // uv
  [/^Installed \d+ package/, 1], // uv
];
// Each package fetched (pip's Collecting/Downloading/Processing) moves the bar a little,
// ever more slowly, since the total is not known.
const PER_PACKAGE = 0.12;

export class ProgressTracker {
  private current: BuildProgress = { phase: PHASES.waiting.label, progress: 0 };
  private phase: BuildPhase = 'waiting';
  private packages = 0;

  constructor(private readonly report: (progress: BuildProgress) => void) {}

  get latest(): BuildProgress {
    return this.current;
  }

  enter(phase: BuildPhase): void {
    this.phase = phase;
    this.packages = 0;
    this.set(PHASES[phase].from, undefined);
  }

  line(text: string): void {
    const { from, to } = PHASES[this.phase];
    let within: number | undefined;
    if (/^(Collecting|Downloading|Processing|Obtaining) /.test(text)) {
      this.packages += 1;
      within = 0.7 * (1 - (1 - PER_PACKAGE) ** this.packages);
    }
    for (const [pattern, at] of LANDMARKS) if (pattern.test(text)) within = at;
    this.set(within === undefined ? this.current.progress : from + (to - from) * within, text.trim());
  }

  private set(progress: number, line: string | undefined): void {
    const rounded = Math.round(Math.max(progress, this.current.progress) * 100) / 100;
    this.current = { phase: PHASES[this.phase].label, progress: rounded, ...(line ? { line } : {}) };
    this.report(this.current);
  }
}
