/**
 * Tells every node that a link changed, so each drops its cached copy. The shortener
 * publishes a code after `update` and `delete`; every {@link Resolver} given the bus
 * listens. {@link LocalInvalidationBus} serves one process; a Redis driver spans nodes.
 */
export interface InvalidationBus {
  /** Announces that the link with `code` changed or is gone. */
  publish(code: string): Promise<void>;
  /** Calls `listener` with every published code; returns the function that unsubscribes. */
  subscribe(listener: (code: string) => void): () => void;
  /** Stops delivering and releases connections. */
  close(): Promise<void>;
}

/** An {@link InvalidationBus} within one process: `publish` calls every listener at once. */
export class LocalInvalidationBus implements InvalidationBus {
  readonly #listeners = new Set<(code: string) => void>();

  /**
   * Calls every listener with `code`. A listener that throws does not stop the others;
   * the returned promise then rejects with an `AggregateError` of what they threw.
   */
  async publish(code: string): Promise<void> {
    const errors: unknown[] = [];
    for (const listener of [...this.#listeners]) {
      try {
        listener(code);
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, 'invalidation listeners failed');
  }

  /** Adds `listener`; the returned function removes it. */
  subscribe(listener: (code: string) => void): () => void {
    const entry = (code: string) => listener(code);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  /** Removes every listener. */
  async close(): Promise<void> {
    this.#listeners.clear();
  }
}
