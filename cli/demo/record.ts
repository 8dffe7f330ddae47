/** An audit event a step must have left in the trail (journey 3 looks for each). */
export interface ExpectedEvent {
  action: string;
  resource: string;
  /** `actor.id` of the event. */
  actor: string;
  outcome: 'success' | 'denied' | 'failure';
}

/** One thing that happened, as the demo prints it and the tests assert on it. */
export interface Step {
  journey: 'hotline' | 'payment' | 'audit' | 'seed';
  /** Who acted, in words (`citizen 王小红`, `dept-housing's work-queue page`). */
  actor: string;
  did: string;
  result: string;
  /** What the audit trail must show for it. */
  audit: ExpectedEvent[];
  /** Seconds since the journeys began, when it was done. */
  at: number;
}

/** Collects the steps of the journeys and shows each as it happens. */
export class Recorder {
  readonly steps: Step[] = [];
  private readonly started = Date.now();
  constructor(private readonly onStep: (step: Step) => void = () => {}) {}

  step(journey: Step['journey'], actor: string, did: string, result: string, audit: ExpectedEvent[] = []): Step {
    const step = { journey, actor, did, result, audit, at: (Date.now() - this.started) / 1000 };
    this.steps.push(step);
    this.onStep(step);
    return step;
  }
}

export const success = (action: string, resource: string, actor: string): ExpectedEvent => ({
  action,
  resource,
  actor,
  outcome: 'success',
});
