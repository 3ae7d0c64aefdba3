// Progress while the batch runs: on a terminal one line redrawn in place, otherwise (CI, a
// pipe) a plain line every 5 s so that logs stay readable.

const TTY_EVERY_MS = 200;
const PLAIN_EVERY_MS = 5000;

export function formatLine({ done, total, inFlight, queued, rateLimited, tokensPerMinute, elapsedMs }) {
  const tpm = Math.round(tokensPerMinute).toLocaleString('en-US');
  return `${done}/${total} done | ${inFlight} in flight | ${queued} queued | ${rateLimited} 429s | ${tpm} tokens/min | ${(elapsedMs / 1000).toFixed(1)} s`;
}

/** Reports `read()` until stopped. */
export function startProgress(read, stream = process.stdout) {
  const tty = Boolean(stream.isTTY);
  const draw = () => {
    const line = formatLine(read());
    stream.write(tty ? `\r\x1b[2K${line}` : `${line}\n`);
  };
  const timer = setInterval(draw, tty ? TTY_EVERY_MS : PLAIN_EVERY_MS);
  return {
    stop() {
      clearInterval(timer);
      draw();
      if (tty) stream.write('\n');
    },
  };
}
