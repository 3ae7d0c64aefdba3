// Child processes for the checks: bounded in time, output captured.
import { execFile } from 'node:child_process';

/** Runs `file args`; resolves with { stdout, stderr }; rejects with both in the message. */
export function run(file, args, { cwd, env, timeoutMs = 60_000 } = {}) {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd, env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      if (error) {
        const how = error.killed ? `killed after ${timeoutMs} ms` : `exit ${error.code}`;
        reject(new Error(`${file} ${args.join(' ')}: ${how}\n${stdout}${stderr}`.trim()));
      } else {
        resolve({ stdout, stderr });
      }
    });
  });
}

/** Runs a fixture that prints one JSON line `{ ok, ... }`, and returns that object if ok. */
export async function runFixture(file, args, options) {
  const output = await run(file, args, options);
  const line = output.stdout.trim().split('\n').at(-1);
  let report;
  try {
    report = JSON.parse(line);
  } catch {
    throw new Error(`no report from ${file} ${args.join(' ')}:\n${output.stdout}${output.stderr}`);
  }
  if (!report.ok) throw new Error(report.error);
  return report;
}
