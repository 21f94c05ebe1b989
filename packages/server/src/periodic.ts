/**
 * A background task run once now and then every `intervalMs`, one run at a time; a failed run is
 * logged and the next one still comes. Returns a function that stops it, resolving once a run in
 * progress has finished.
 */
export function startPeriodic(task: () => unknown, intervalMs: number, failed: (error: Error) => void): () => Promise<void> {
  let running: Promise<void> = Promise.resolve();
  const run = () => {
    running = running.then(task).then(
      () => undefined,
      (error: Error) => failed(error),
    );
  };
  run();
  const timer = setInterval(run, intervalMs);
  timer.unref?.();
  return () => {
    clearInterval(timer);
    return running;
  };
}
