/** redisConnection: the BullMQ connection options for BERTH_REDIS_URL. */
import type { ConnectionOptions } from 'bullmq';

export function redisConnection(url: string): ConnectionOptions {
  return { url, maxRetriesPerRequest: null };
}
