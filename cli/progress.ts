/** A one-line progress bar on a terminal's stderr; silent when stderr is not a TTY or with --json. */
export function progressBar(label: string, enabled: boolean): { update(done: number, total: number): void; end(): void } {
  const tty = enabled && process.stderr.isTTY;
  const start = performance.now();
  let last = 0;
  return {
    update(done, total) {
      if (!tty) return;
      const now = performance.now();
      if (done < total && now - last < 100) return;
      last = now;
      const width = 30;
      const filled = Math.round((width * done) / Math.max(total, 1));
      const rate = done / Math.max((now - start) / 1000, 0.001);
      process.stderr.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${Math.round(rate)}/s `);
    },
    end() {
      if (tty) process.stderr.write('\n');
    },
  };
}
