import type { DownloadEvent, ProgressEvent } from '../events.js';

/**
 * A worker thread's events on their way to the main thread: progress is coalesced per file (the latest wins)
 * and sent at most once per `intervalMs`; any other event sends the progress waiting before it, so the main
 * thread sees them in order.
 */
export class ProgressBatch {
  readonly #latest = new Map<number, ProgressEvent>();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly send: (events: DownloadEvent[]) => void,
  ) {}

  emit(e: DownloadEvent): void {
    if (e.type === 'progress') {
      this.#latest.set(e.id, e);
      this.#timer ??= setTimeout(() => this.flush(), this.intervalMs);
      return;
    }
    this.flush();
    this.send([e]);
  }

  /** A file's download ended: progress still waiting for it would arrive after its result. */
  forget(id: number): void {
    this.#latest.delete(id);
  }

  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#latest.size === 0) return;
    const events = [...this.#latest.values()];
    this.#latest.clear();
    this.send(events);
  }
}
