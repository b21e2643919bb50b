// retry.ts - small helpers for batched DynamoDB work: bounded parallelism and backoff for throttled/unprocessed items.

/** Runs `fn` over `items` with at most `limit` calls in flight; resolves when all are done (rejects on the first error). */
export async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i] as T, i);
    }
  });
  await Promise.all(workers);
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Exponential backoff with full jitter: attempt 0 → up to 20 ms, doubling, capped at 1 s. */
export function backoff(attempt: number): Promise<void> {
  const ms = Math.random() * Math.min(1000, 20 * 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** True for errors that a retry may cure (throttling, transaction conflicts, transient service errors). */
export function isRetryable(err: unknown): boolean {
  const name = (err as { name?: string })?.name ?? '';
  return (
    name === 'ProvisionedThroughputExceededException' ||
    name === 'ThrottlingException' ||
    name === 'RequestLimitExceeded' ||
    name === 'TransactionConflictException' ||
    name === 'InternalServerError' ||
    name === 'ServiceUnavailable'
  );
}
