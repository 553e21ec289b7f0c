// Presence (cursors, names) across replicas: Redis pub/sub, one channel per notebook. Presence
// is ephemeral, so it needs no log: a replica that misses a frame gets the next one, and the
// states of a replica that died time out in every room (y-protocols drops states not renewed
// for 30 s). Each room already batches its presence (AWARENESS_BATCH_MS), so a replica
// publishes at most one frame per room per batch.

import type { Redis } from 'ioredis';
import type { RoomLogger } from '../rooms/room';
import { keys } from './redis';

const SEPARATOR = 0x0a;

export class PresenceRelay {
  private readonly handlers = new Map<string, (update: Uint8Array) => void>();
  private readonly prefix = keys.presence('');

  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly replicaId: string,
    private readonly log: RoomLogger,
  ) {
    subscriber.on('messageBuffer', (channel: Buffer, message: Buffer) => {
      const fileId = channel.toString().slice(this.prefix.length);
      const handler = this.handlers.get(fileId);
      const cut = message.indexOf(SEPARATOR);
      if (!handler || cut < 0 || message.subarray(0, cut).toString() === this.replicaId) return;
      handler(new Uint8Array(message.subarray(cut + 1)));
    });
  }

  publish(fileId: string, update: Uint8Array): void {
    const message = Buffer.concat([Buffer.from(`${this.replicaId}\n`), update]);
    this.publisher.publish(keys.presence(fileId), message).catch((error: unknown) => {
      this.log.warn({ fileId, error: (error as Error).message }, 'could not pass presence on to other replicas');
    });
  }

  subscribe(fileId: string, handler: (update: Uint8Array) => void): void {
    this.handlers.set(fileId, handler);
    this.subscriber.subscribe(keys.presence(fileId)).catch((error: unknown) => {
      this.log.warn({ fileId, error: (error as Error).message }, 'could not follow presence from other replicas');
    });
  }

  unsubscribe(fileId: string): void {
    if (!this.handlers.delete(fileId)) return;
    this.subscriber.unsubscribe(keys.presence(fileId)).catch(() => {});
  }
}
