// Which replica owns a notebook, read from Redis as the replicas themselves decide it: the
// lease `tandem:lease:{fileId}` holds `replicaId/fence`, and `tandem:replica:{replicaId}` the
// address that replica serves at. For the chaos run and tests that kill the owner on purpose.
import type { Redis } from 'ioredis';

/** The owner's address (`http://host:port`), or undefined while nobody holds the lease. */
export async function ownerAddress(redis: Redis, fileId: string): Promise<string | undefined> {
  const lease = await redis.get(`tandem:lease:${fileId}`);
  if (!lease) return undefined;
  const replicaId = lease.slice(0, lease.lastIndexOf('/'));
  return (await redis.get(`tandem:replica:${replicaId}`)) ?? undefined;
}

/** The owner's port, or undefined while nobody holds the lease. */
export async function ownerPort(redis: Redis, fileId: string): Promise<number | undefined> {
  const address = await ownerAddress(redis, fileId);
  return address ? Number(new URL(address).port) : undefined;
}
