// The mock provider's options, checked up front: a typo in a test should fail loudly.

const KNOWN = new Set(['rpm', 'tpm', 'itpm', 'otpm', 'burst', 'latency', 'now', 'sleep', 'settle', 'outputTokens', 'outage', 'overloaded', 'streamFault', 'host', 'port']);

const describe = (v) => (typeof v === 'string' ? JSON.stringify(v) : typeof v === 'function' ? 'a function' : Array.isArray(v) ? 'an array' : String(v));
const bad = (name, expected, value) => new TypeError(`Expected \`${name}\` to be ${expected}, got ${describe(value)}`);

function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function number(name, value, { positive = false, fallback } = {}) {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (positive && value === 0)) {
    throw bad(name, positive ? 'a positive finite number' : 'a finite number >= 0', value);
  }
  return value;
}

function func(name, value, fallback) {
  if (value === undefined) return fallback;
  if (typeof value !== 'function') throw bad(name, 'a function', value);
  return value;
}

function only(name, value, keys) {
  if (!isObject(value)) throw bad(name, 'an object', value);
  for (const key of Object.keys(value)) if (!keys.includes(key)) throw new TypeError(`Unknown option \`${name}.${key}\``);
}

/** The options with their defaults; throws a TypeError that names the first bad one. */
export function parseOptions(options = {}) {
  if (!isObject(options)) throw bad('options', 'an object', options);
  for (const key of Object.keys(options)) if (!KNOWN.has(key)) throw new TypeError(`Unknown option \`${key}\``);
  const o = options;

  let latency = { baseMs: 0, perOutputTokenMs: 0 };
  if (o.latency !== undefined) {
    only('latency', o.latency, ['baseMs', 'perOutputTokenMs']);
    latency = {
      baseMs: number('latency.baseMs', o.latency.baseMs, { fallback: 0 }),
      perOutputTokenMs: number('latency.perOutputTokenMs', o.latency.perOutputTokenMs, { fallback: 0 }),
    };
  }

  let outage = null;
  if (o.outage !== undefined) {
    only('outage', o.outage, ['fromMs', 'untilMs', 'retryAfterS']);
    const fromMs = number('outage.fromMs', o.outage.fromMs);
    const untilMs = number('outage.untilMs', o.outage.untilMs);
    if (fromMs === undefined || untilMs === undefined || untilMs < fromMs) {
      throw bad('outage', 'an object with 0 <= fromMs <= untilMs', JSON.stringify(o.outage));
    }
    outage = { fromMs, untilMs, retryAfterS: number('outage.retryAfterS', o.outage.retryAfterS) };
  }

  if (o.burst !== undefined && (typeof o.burst !== 'number' || !(o.burst > 0 && o.burst <= 1))) throw bad('burst', 'a number in (0, 1]', o.burst);
  if (o.settle !== undefined && typeof o.settle !== 'boolean') throw bad('settle', 'a boolean', o.settle);
  if (o.host !== undefined && (typeof o.host !== 'string' || o.host === '')) throw bad('host', 'a non-empty string', o.host);
  if (o.port !== undefined && (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535)) throw bad('port', 'an integer in [0, 65535]', o.port);

  return {
    limits: {
      requests: number('rpm', o.rpm, { positive: true }),
      tokens: number('tpm', o.tpm, { positive: true }),
      input: number('itpm', o.itpm, { positive: true }),
      output: number('otpm', o.otpm, { positive: true }),
    },
    burst: o.burst ?? 1,
    latency,
    now: func('now', o.now, () => performance.now()),
    sleep: func('sleep', o.sleep, undefined),
    settle: o.settle ?? true,
    outputTokens: func('outputTokens', o.outputTokens, undefined),
    outage,
    overloaded: func('overloaded', o.overloaded, () => false),
    streamFault: func('streamFault', o.streamFault, () => undefined),
    host: o.host ?? '127.0.0.1',
    port: o.port ?? 0,
  };
}
