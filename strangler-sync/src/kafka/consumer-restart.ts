/**
 * kafkajs's `retry.restartOnFailure` for the apply side's consumer: restart after an error the
 * broker calls retriable (a fresh or failed-over group coordinator answers
 * GROUP_LOAD_IN_PROGRESS or COORDINATOR_NOT_AVAILABLE for a while), a bounded number of times;
 * never after an apply error (the pipeline stops and says why, as on the in-process path).
 */
export function kafkaRestartPolicy(options: {
  readonly maxRestarts: number;
  readonly stopping: () => boolean;
  readonly onRestart?: (error: Error, restart: number) => void;
}): (error: Error) => Promise<boolean> {
  let restarts = 0;
  return (error) => {
    const retriable = (error as { retriable?: unknown }).retriable === true;
    if (!retriable || options.stopping() || restarts >= options.maxRestarts)
      return Promise.resolve(false);
    restarts += 1;
    options.onRestart?.(error, restarts);
    return Promise.resolve(true);
  };
}
