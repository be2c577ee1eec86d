/**
 * A list that test doubles append to and tests wait on: "resolve when N items have arrived, or
 * fail after a bounded time naming what did arrive".
 */

export class Recorder<T> {
  readonly items: T[] = [];
  readonly #waiters = new Set<() => void>();

  /** `what` names the items in timeout messages, e.g. "Telegram messages". */
  constructor(private readonly what: string) {}

  push(item: T): void {
    this.items.push(item);
    for (const wake of this.#waiters) wake();
  }

  /**
   * Resolves with the items that pass `filter` (all by default) once at least `count` have
   * arrived; rejects after `timeoutMs`. `describe` adds context to the timeout message (e.g. the
   * requests that were rejected).
   */
  waitFor(count: number, timeoutMs: number, options: { filter?: (item: T) => boolean; describe?: () => string } = {}): Promise<T[]> {
    const matching = () => (options.filter ? this.items.filter(options.filter) : this.items.slice());
    if (matching().length >= count) return Promise.resolve(matching());
    return new Promise((resolve, reject) => {
      const wake = () => {
        const found = matching();
        if (found.length < count) return;
        cleanup();
        resolve(found);
      };
      const timer = setTimeout(() => {
        cleanup();
        const extra = options.describe?.();
        const kind = options.filter ? `matching ${this.what}` : this.what;
        reject(new Error(`expected ${count} ${kind} within ${timeoutMs} ms, got ${matching().length} (of ${this.items.length})${extra ? `; ${extra}` : ''}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.#waiters.delete(wake);
      };
      this.#waiters.add(wake);
    });
  }
}
