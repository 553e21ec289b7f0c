// Runs tasks one at a time per key, in the order they were asked for, and different keys at
// once: a notebook's version index is read, changed and written whole, so two saves of the same
// notebook must not interleave. A failed task does not stop the ones queued after it.

export class KeyedSerial {
  private readonly tails = new Map<string, Promise<void>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task);
    const tail = result.then(
      () => {},
      () => {},
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
