/** Work after a transaction (store/sqlite/client.ts, store/postgres/transaction.ts), run once it has ended. */
export function runHooks(list: (() => void)[]): void {
  for (const hook of list) {
    try {
      hook();
    } catch (error) {
      // The transaction is over: a hook that fails must not turn a committed write into an error.
      console.error(`Work after a commit failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
