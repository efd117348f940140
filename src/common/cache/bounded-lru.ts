import { LRUCache } from 'lru-cache';

type Options<K extends NonNullable<unknown>, V extends NonNullable<unknown>> = Omit<
  LRUCache.Options<K, V, unknown>,
  'max' | 'maxSize' | 'sizeCalculation'
>;

/**
 * An LRU cache of at most `entries` entries whose memory grows with what it holds. Given `max`, lru-cache allocates
 * its index arrays for `max` entries up front (for the key cache's bound, resident in every instance however few
 * keys it serves); bounded by size, with every entry counting 1, it grows them as entries arrive. Reads cost the
 * same either way.
 */
export function boundedLru<K extends NonNullable<unknown>, V extends NonNullable<unknown>>(
  entries: number,
  options: Options<K, V> = {},
): LRUCache<K, V> {
  return new LRUCache<K, V>({ ...options, maxSize: entries, sizeCalculation: one });
}

const one = () => 1;
