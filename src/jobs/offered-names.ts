import type { NameRegistry } from './naming.js';

/** One download whose name a server will offer (--content-disposition), in list order. */
interface Turn {
  id: number;
  /** Set when the download ended without claiming (failed, skipped before an answer): it no longer holds a turn. */
  settled: boolean;
  /** The offered name it waits to claim, and how to answer it. */
  rel?: string;
  resolve?: (name: string) => void;
  reject?: (err: unknown) => void;
}

/**
 * Names offered by servers are claimed in list order, so when two answers offer `report.pdf` the earlier list
 * entry gets `report.pdf` and the later one `report.1.pdf`, whichever answer arrives first. Each such download
 * holds a turn from the moment its list line is read (`expect`, in list order) until it claims or ends
 * (`settle`). A download whose answer comes while an earlier turn is still open does not wait with the
 * answer in hand (holding a slot and a connection the earlier one may need): it downloads under a temporary
 * name and claims when it is complete (`claim(..., wait)`), with its -j slot lent out meanwhile.
 */
export class OfferedNames {
  #turns: Turn[] = [];
  #head = 0;
  readonly #byId = new Map<number, Turn>();
  /** After an interruption order no longer matters: every claim goes through at once. */
  #released = false;

  constructor(private readonly names: NameRegistry) {}

  /** A download that will be offered a name: its turn comes after every earlier one's. */
  expect(id: number): void {
    if (this.#released) return;
    const turn: Turn = { id, settled: false };
    this.#turns.push(turn);
    this.#byId.set(id, turn);
  }

  /**
   * Claims `rel` for download `id` when it is its turn. Not its turn: with `wait`, a promise of the name once
   * every earlier download has claimed or ended; without, `undefined` (the caller goes on under a temporary name).
   */
  claim(id: number, rel: string, wait: boolean): string | undefined | Promise<string> {
    const turn = this.#byId.get(id);
    if (!turn || this.#released) return this.names.claim(rel);
    if (this.#turns[this.#head] === turn) {
      this.#pop();
      try {
        return this.names.claim(rel);
      } finally {
        this.#advance();
      }
    }
    if (!wait) return undefined;
    return new Promise<string>((resolve, reject) => {
      turn.rel = rel;
      turn.resolve = resolve;
      turn.reject = reject;
    });
  }

  /** Download `id` ended; if it never claimed, the downloads after it no longer wait for it. */
  settle(id: number): void {
    const turn = this.#byId.get(id);
    if (!turn) return;
    turn.settled = true;
    this.#advance();
  }

  /** Interrupted: the waiting claims go through now, in list order, and later ones do not wait. */
  release(): void {
    this.#released = true;
    for (let i = this.#head; i < this.#turns.length; i++) this.#answer(this.#turns[i]!);
    this.#turns = [];
    this.#head = 0;
    this.#byId.clear();
  }

  #advance(): void {
    for (;;) {
      const turn = this.#turns[this.#head];
      if (!turn || !(turn.settled || turn.resolve)) return;
      this.#pop();
      this.#answer(turn);
    }
  }

  #answer(turn: Turn): void {
    if (!turn.resolve || turn.rel === undefined) return;
    try {
      turn.resolve(this.names.claim(turn.rel));
    } catch (err) {
      turn.reject!(err);
    }
  }

  #pop(): void {
    const turn = this.#turns[this.#head++]!;
    this.#byId.delete(turn.id);
    // Compacted now and then: the list of open turns stays as short as the downloads in flight.
    if (this.#head >= 1024 && this.#head * 2 >= this.#turns.length) {
      this.#turns = this.#turns.slice(this.#head);
      this.#head = 0;
    }
  }
}
