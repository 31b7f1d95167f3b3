/**
 * A process started by the supervisor (`npm start`, the demo) ends with it, even when the
 * supervisor dies without running its stop (SIGKILL, the OOM killer, a closed terminal whose
 * process group was killed). The supervisor hands each child a stdin pipe that it never writes
 * and never closes: the pipe ends only when the supervisor's process is gone. The parent pid is
 * checked too, for a child whose stdin was redirected elsewhere.
 *
 * Opt-in by environment (`EDGE_PARENT_WATCH=stdin`, set by the supervisor), so a service run by
 * systemd, compose or a shell keeps its usual stdin.
 */
export const PARENT_WATCH_ENV = 'EDGE_PARENT_WATCH';

export interface ParentWatch {
  stop(): void;
}

/** Calls `onGone` once when the supervising parent is gone. No-op unless the supervisor asked for it. */
export function watchParent(onGone: (why: string) => void, env: NodeJS.ProcessEnv = process.env, pollMs = 1_000): ParentWatch {
  if (env[PARENT_WATCH_ENV] !== 'stdin') return { stop: () => undefined };
  const parent = process.ppid;
  let fired = false;
  const fire = (why: string) => {
    if (fired) return;
    fired = true;
    stop();
    // The supervisor read our output: writes to it now fail (EPIPE) and must not crash the drain.
    for (const s of [process.stdout, process.stderr]) s.on('error', () => undefined);
    onGone(why);
  };
  const onEnd = () => fire('supervisor gone (its pipe closed)');
  process.stdin.on('end', onEnd);
  process.stdin.on('close', onEnd);
  process.stdin.on('error', onEnd);
  process.stdin.resume();
  const timer = setInterval(() => {
    if (process.ppid !== parent) fire(`supervisor gone (parent pid ${parent} → ${process.ppid})`);
  }, pollMs);
  timer.unref();
  const stop = () => {
    clearInterval(timer);
    process.stdin.off('end', onEnd);
    process.stdin.off('close', onEnd);
    process.stdin.off('error', onEnd);
    process.stdin.pause();
    // A paused stdin pipe would still keep the event loop alive during the drain.
    (process.stdin as unknown as { unref?: () => void }).unref?.();
  };
  // The pipe must not keep a service alive on its own (a drained service exits by itself).
  (process.stdin as unknown as { unref?: () => void }).unref?.();
  return { stop };
}
