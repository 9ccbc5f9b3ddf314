/**
 * Coalesces bursts of live changes into few reloads: the first request schedules a run after `delay`, requests
 * meanwhile join it, a request during a run schedules one more run after it, and runs start at least `minGap` apart.
 * A failed run is reported and left to the next request (the page's periodic reload or the next change).
 */
export function refresher(run: () => Promise<void>, delay: number, minGap: number, onError?: (e: unknown) => void): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let running = false;
  let again = false;
  let lastStart = 0;
  const go = async () => {
    timer = null;
    if (running) { again = true; return; }
    running = true;
    lastStart = Date.now();
    try { await run(); } catch (e) { onError?.(e); } finally {
      running = false;
      if (again) { again = false; request(); }
    }
  };
  function request(): void {
    if (running) { again = true; return; }
    if (timer) return;
    const wait = Math.max(delay, minGap - (Date.now() - lastStart));
    timer = setTimeout(() => void go(), wait);
  }
  return request;
}
