// Bad values of everything spawnIsolated shares with child_process.spawn give
// the error child_process gives (same class, same code), so callers can catch
// by code. child_process.spawn itself is the oracle: each value is tried on
// both, in a throwaway node. The program is one that does not exist, so if
// either side accepted a value it would only emit ENOENT, never run anything.
import { expectClean, runNode } from '../helpers/run-node';

const missing = JSON.stringify('/nonexistent/nsjs-parity');
const withOptions = (options: string) => `[${missing}, [], ${options}]`;

// [label, the spawn arguments as an expression]
const shared: [string, string][] = [
  ['command null', '[null]'],
  ['command 123', '[123]'],
  ['command empty', "['']"],
  ['command with NUL', "['ls\\0x']"],
  ['args a string', `[${missing}, 'notArray']`],
  ['args with NUL', `[${missing}, ['a\\0b']]`],
  ['options a string', `[${missing}, [], 'x']`],
  ['options a number', `[${missing}, [], 5]`],
  ['cwd 123', withOptions('{ cwd: 123 }')],
  ['cwd {}', withOptions('{ cwd: {} }')],
  ['cwd with NUL', withOptions("{ cwd: '/tmp\\0' }")],
  ['cwd an http URL', withOptions("{ cwd: new URL('http://example.com/') }")],
  ['env key with NUL', withOptions("{ env: { 'A\\0': 'x' } }")],
  ['env value with NUL', withOptions("{ env: { A: 'x\\0y' } }")],
  ['argv0 123', withOptions('{ argv0: 123 }')],
  ['argv0 with NUL', withOptions("{ argv0: 'a\\0' }")],
  ['stdio unknown shorthand', withOptions("{ stdio: 'bogus' }")],
  ['stdio a number', withOptions('{ stdio: 5 }')],
  ['stdio {}', withOptions('{ stdio: {} }')],
  ['stdio slot unknown string', withOptions("{ stdio: ['bogus'] }")],
  ['stdio slot a buffer', withOptions("{ stdio: [Buffer.from('x')] }")],
  ['stdio slot {}', withOptions('{ stdio: [{}] }')],
  ['stdio slot true', withOptions('{ stdio: [true] }')],
  ['timeout a string', withOptions("{ timeout: '5' }")],
  ['timeout -1', withOptions('{ timeout: -1 }')],
  ['timeout 1.5', withOptions('{ timeout: 1.5 }')],
  ['timeout NaN', withOptions('{ timeout: NaN }')],
  ['timeout Infinity', withOptions('{ timeout: Infinity }')],
  ['killSignal unknown name', withOptions("{ killSignal: 'SIGNOPE' }")],
  ['killSignal -1', withOptions('{ killSignal: -1 }')],
  ['killSignal 1.5', withOptions('{ killSignal: 1.5 }')],
  ['killSignal 100', withOptions('{ killSignal: 100 }')],
  ['killSignal {}', withOptions('{ killSignal: {} }')],
  ['signal {}', withOptions('{ signal: {} }')],
  ['signal a string', withOptions("{ signal: 'x' }")],
  ['signal null', withOptions('{ signal: null }')],
];

// Options child_process.spawn ignores: execFile, which buffers output as
// `result` does, is their oracle.
const output: [string, string][] = [
  ['maxBuffer a string', withOptions("{ maxBuffer: '5' }")],
  ['maxBuffer -1', withOptions('{ maxBuffer: -1 }')],
  ['maxBuffer NaN', withOptions('{ maxBuffer: NaN }')],
  ['maxBuffer {}', withOptions('{ maxBuffer: {} }')],
];

// kill() on the returned object: [label, the argument]
const kills: [string, string][] = [
  ['kill unknown name', "'SIGNOPE'"],
  ['kill 100', '100'],
  ['kill -1', '-1'],
  ['kill {}', '{}'],
];

// Values child_process accepts and nsjs refuses on purpose (docs/errors.md):
// [label, options, nsjs's class, nsjs's code]
const stricter: [string, string, string, string][] = [
  ['args [1] (child_process stringifies)', `[${missing}, [1]]`, 'TypeError', 'ERR_INVALID_ARG_TYPE'],
  ['env a string (child_process spreads its characters)', withOptions("{ env: 'x' }"), 'TypeError', 'ERR_INVALID_ARG_TYPE'],
  ["env key with '=' (child_process passes A=B=x)", withOptions("{ env: { 'A=B': 'x' } }"), 'TypeError', 'ERR_INVALID_ARG_VALUE'],
  ['stdio slot -1 (child_process makes it a pipe)', withOptions('{ stdio: [-1] }'), 'TypeError', 'ERR_INVALID_ARG_VALUE'],
  ['stdio slot 1.5', withOptions('{ stdio: [1.5] }'), 'TypeError', 'ERR_INVALID_ARG_VALUE'],
  ["stdio slot 'ipc' (not supported)", withOptions("{ stdio: ['pipe', 'pipe', 'pipe', 'ipc'] }"), 'TypeError', 'ERR_INVALID_ARG_VALUE'],
  ['timeout 2**31 (child_process fires after 1 ms)', withOptions('{ timeout: 2 ** 31 }'), 'RangeError', 'ERR_OUT_OF_RANGE'],
];

// The same, for the options whose oracle is execFile.
const outputStricter: [string, string, string, string][] = [
  ["encoding 'bogus' (execFile gives Buffers)", withOptions("{ encoding: 'bogus' }"), 'TypeError', 'ERR_INVALID_ARG_VALUE'],
  ['encoding null (execFile gives Buffers)', withOptions('{ encoding: null }'), 'TypeError', 'ERR_INVALID_ARG_VALUE'],
  ['encoding 5 (execFile gives Buffers)', withOptions('{ encoding: 5 }'), 'TypeError', 'ERR_INVALID_ARG_VALUE'],
  ['maxBuffer null (execFile then fails on the first byte)', withOptions('{ maxBuffer: null }'), 'RangeError', 'ERR_OUT_OF_RANGE'],
];

const fixture = `
  const cp = require('child_process');
  const outcome = (f) => {
    try {
      const child = f();
      child.on('error', () => {}); // ENOENT: the program does not exist
      return { threw: false };
    } catch (e) {
      return { threw: true, ctor: e.constructor.name, code: e.code };
    }
  };
  const spawners = { node: cp.spawn, nsjs: nsjs.spawnIsolated };
  const execFile = (file, args, options) => cp.execFile(file, args, options, () => {});
  const results = {};
  const compare = (cases, oracles) => {
    for (const [name, expr] of cases) {
      results[name] = {};
      for (const [who, spawn] of Object.entries(oracles)) results[name][who] = outcome(() => spawn(...eval(expr)));
    }
  };
  compare(${JSON.stringify([...shared, ...stricter])}, spawners);
  compare(${JSON.stringify([...output, ...outputStricter])}, { ...spawners, node: execFile });
  for (const [name, arg] of ${JSON.stringify(kills)}) {
    results[name] = {};
    for (const [who, spawn] of Object.entries(spawners)) {
      const child = spawn(${missing}, [], { stdio: 'ignore' });
      child.on('error', () => {});
      results[name][who] = outcome(() => { child.kill(eval('(' + arg + ')')); return child; });
    }
  }
  report(results);`;

describe('errors match child_process.spawn for every shared option', () => {
  let results: Record<string, { node: object; nsjs: object }>;
  beforeAll(async () => {
    const run = await runNode(fixture);
    expectClean(run);
    results = run.json;
  });

  for (const [name] of [...shared, ...output, ...kills]) {
    it(`${name}: same class and code as child_process`, () => {
      const { node, nsjs } = results[name];
      expect(node).toMatchObject({ threw: true }); // else the case tests nothing
      expect(nsjs).toEqual(node);
    });
  }

  for (const [name, , ctor, code] of [...stricter, ...outputStricter]) {
    it(`${name}: child_process accepts it, nsjs refuses with ${code}`, () => {
      expect(results[name].node).toEqual({ threw: false });
      expect(results[name].nsjs).toEqual({ threw: true, ctor, code });
    });
  }
});
