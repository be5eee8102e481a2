// Rotation as one call: the core's rotation state machine (`WasmRotation`, over csms-core's
// `Rotation`) driven from JavaScript, as core/src/rotate.rs drives it in Rust. Every decision
// (probe, resume, create, the rival check, apply, test, finish, RotateSecret and its task) is
// the core's; this file sends the calls through the client's own call path, runs the
// application's callbacks (sync or async) and sleeps.

import { WasmRotation } from './csms_wasm.js';
import { CsmsError, errorJson, invalid } from './errors.js';
import { call, isLive, liveGeneration } from './instance.js';
import { monotonicMs } from './transport.js';

function optionalFunction(value, field) {
  if (value !== undefined && typeof value !== 'function') throw invalid(field, 'must be a function');
  return value;
}

/**
 * Rotates the secret `secretName` (see index.d.ts): `apply(newValue, previousValue)`, and
 * optionally `generate()` and `test(newValue)`, are the application's (sync or async);
 * `strategy` is `single-user` (default) or `alternating-users`. Resolves with `{ versionId,
 * previousVersionId, resumed, steps }`; rejects with a RotationError for a step of its own
 * (`cause`: what a callback threw), or with a CSMS call's own error.
 */
export async function rotate(client, secretName, options) {
  if (client === null || typeof client !== 'object' || typeof client.send !== 'function') throw invalid('client', 'must be a CsmsClient');
  if (typeof secretName !== 'string') throw invalid('secretName', 'must be a string');
  if (options === null || typeof options !== 'object') throw invalid('options', 'must be an object { apply, generate?, test?, strategy? }');
  const { apply, generate, test, strategy = 'single-user', ...rest } = options;
  for (const key of Object.keys(rest)) throw invalid(key, 'unknown option');
  if (typeof apply !== 'function') throw invalid('apply', 'must be a function (newValue, previousValue) => void');
  optionalFunction(generate, 'generate');
  optionalFunction(test, 'test');
  if (typeof strategy !== 'string') throw invalid('strategy', 'must be "single-user" or "alternating-users"');

  const generation = liveGeneration();
  const native = call(() => new WasmRotation(secretName, strategy, generate !== undefined, test !== undefined));
  /** A step of the module (JSON text, or its error thrown), unless a trap replaced it. */
  const next = (fn) =>
    call(() => {
      if (!isLive(generation)) throw new CsmsError('the rotation was cut short by a panic in csms-core', 'internal');
      return JSON.parse(fn());
    });
  // What a callback threw, kept as the cause of the RotationError it leads to.
  let thrown;
  const run = async (fn) => {
    try {
      return { value: await fn() };
    } catch (e) {
      thrown = e;
      return { error: errorJson(e) };
    }
  };
  try {
    let step = next(() => native.start());
    for (;;) {
      thrown = undefined;
      if (step.call !== undefined) {
        let result;
        let failure;
        try {
          result = await client.send(step.call, step.input);
        } catch (e) {
          failure = e;
        }
        step.input = undefined;
        if (failure === undefined) {
          const text = JSON.stringify(result);
          step = next(() => native.received(text, ''));
        } else {
          try {
            step = next(() => native.received(undefined, errorJson(failure)));
          } catch (e) {
            // The call's own error, with its cause, when the rotation ends with it.
            throw e.kind === failure.kind && !(e.kind === 'rotation') ? failure : e;
          }
        }
      } else if (step.generate) {
        const { value, error } = await run(generate);
        const password = error === undefined && typeof value !== 'string' ? undefined : value;
        const why = error || errorJson(invalid('generate', `must return a string, not ${value === null ? 'null' : typeof value}`));
        step = next(() => native.called('generate', password, password === undefined ? why : ''));
      } else if (step.apply) {
        const [newValue, previousValue] = step.apply;
        step.apply = undefined;
        const { error } = await run(() => apply(newValue, previousValue));
        step = next(() => native.called('apply', undefined, error || ''));
      } else if (step.test !== undefined) {
        const newValue = step.test;
        step.test = undefined;
        const { value, error } = await run(() => test(newValue));
        step = next(() => native.called('test', String(Boolean(value)), error || ''));
      } else if (step.sleep !== undefined) {
        await new Promise((resolve) => setTimeout(resolve, step.sleep));
        step = next(() => native.woke(monotonicMs()));
      } else {
        return step.done;
      }
    }
  } catch (e) {
    if (e && e.kind === 'rotation' && thrown !== undefined && e.cause === undefined) {
      Object.defineProperty(e, 'cause', { value: thrown, writable: true, configurable: true });
    }
    throw e;
  } finally {
    if (isLive(generation)) native.free();
  }
}
