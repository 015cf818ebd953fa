// Live preview scheduling: renders after a pause in typing that adapts to how long renders
// take (quick after fast renders, longer after slow ones), cancels a render in flight when a
// newer one starts, and never lets an older answer replace a newer one.

import { apiError } from './errors.js';

const MIN_DELAY_MS = 250;
const MAX_DELAY_MS = 2000;

/** The pause before a render, from a typical render time: short for fast engines. */
export function debounceDelay(typicalMs) {
  if (typicalMs === null || typicalMs === undefined) return 400;
  return Math.round(Math.min(MAX_DELAY_MS, Math.max(MIN_DELAY_MS, 150 + typicalMs)));
}

export class RenderScheduler {
  /**
   * @param {object} hooks
   * @param {() => object|null} hooks.payload the JSON body for /api/generate, or null to skip
   * @param {(info: object) => void} hooks.onStart
   * @param {(result: object) => void} hooks.onSuccess `{blob, contentType, payload, ms}`
   * @param {(failure: object) => void} hooks.onError `{status, code, message, payload}`
   * @param {() => void} hooks.onSettled when the latest render has ended, whatever the outcome
   */
  constructor(hooks) {
    this.hooks = hooks;
    this.sequence = 0;
    this.controller = null;
    this.timer = null;
    this.typicalMs = null;
    this.lastKey = null;
  }

  get delay() {
    return debounceDelay(this.typicalMs);
  }

  /** Renders after the adaptive pause; `now` renders at once. */
  schedule({ now = false, force = false } = {}) {
    clearTimeout(this.timer);
    if (now) {
      this.run(force);
    } else {
      this.timer = setTimeout(() => this.run(force), this.delay);
    }
  }

  cancel() {
    clearTimeout(this.timer);
    this.controller?.abort();
  }

  async run(force) {
    const payload = this.hooks.payload();
    if (!payload) return;
    const key = JSON.stringify(payload);
    if (!force && key === this.lastKey) return;
    this.lastKey = key;
    const sequence = ++this.sequence;
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    this.hooks.onStart({ payload, sequence });
    const started = performance.now();
    try {
      const response = await fetch('/api/generate', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: '*/*' },
        body: key,
        signal: controller.signal,
      });
      if (response.ok) {
        const blob = await response.blob();
        if (sequence !== this.sequence) return;
        const ms = performance.now() - started;
        this.learn(ms);
        await this.hooks.onSuccess({
          blob,
          contentType: response.headers.get('Content-Type') ?? blob.type,
          payload,
          ms,
        });
      } else {
        const failure = await readError(response);
        if (sequence !== this.sequence) return;
        this.learn(performance.now() - started);
        // A failed render may succeed when asked again (Kroki back up): do not skip it.
        this.lastKey = null;
        await this.hooks.onError({ ...failure, payload });
      }
    } catch (error) {
      if (error?.name === 'AbortError' || sequence !== this.sequence) return;
      this.lastKey = null;
      await this.hooks.onError({
        status: 0,
        code: 'network_error',
        message: `The server could not be reached: ${error?.message ?? error}`,
        payload,
      });
    } finally {
      if (sequence === this.sequence) {
        this.controller = null;
        this.hooks.onSettled();
      }
    }
  }

  learn(ms) {
    this.typicalMs = this.typicalMs === null ? ms : 0.6 * this.typicalMs + 0.4 * ms;
  }
}

async function readError(response) {
  const text = await response.text();
  let body = null;
  try {
    body = JSON.parse(text);
  } catch {
    return { status: response.status, code: 'error', message: text || response.statusText };
  }
  return { ...apiError(body, response.status), requestId: response.headers.get('X-Request-Id') };
}
