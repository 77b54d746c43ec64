// retry.ts - multi-line signatures, generics and ambient declarations.

declare module "retry-config" {        // a module name is a string, not a class
  export interface RetryConfig { attempts: number; backoffMs: number }
}

declare global {
  interface Window { retryDebug?: boolean }
}

export async function withRetry<
  TResult,
  TError extends Error = Error,
>(
  task: () => Promise<TResult>,
  { attempts = 3, backoffMs = 100 }: { attempts?: number; backoffMs?: number } = {},
): Promise<TResult> {
  let lastError: TError | undefined;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      return await task();
    } catch (err) {                   // a catch parameter is not a variable
      lastError = err as TError;
      await sleep(backoffMs * 2 ** attempt);
    }
  }
  throw lastError ?? new Error('retry: no attempts');
}

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

export const identity = <T>(value: T): T => value;

const DEFAULTS = { attempts: 5, label: 'default' } as const;

for (const [name, value] of Object.entries(DEFAULTS)) {
  console.log(`${name}=${String(value)}`);
}

class Timer {
  @logged
  elapsed(): number { return 0; }
}

function logged(target: unknown, context: ClassMethodDecoratorContext) {}
