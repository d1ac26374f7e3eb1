// The extension's choice of server (vscode-client/src/choice.ts and python.ts) with real
// interpreters: node --test choice.test.mjs. Run by tests/editors/test_vscode.py, which sets
//   KWDOCS_CLIENT            vscode-client (its node_modules and bundled/libs/bundle.json)
//   KWDOCS_PYTHON_WITH       a Python that imports kwdocs
//   KWDOCS_PYTHON_WITHOUT    a CPython the bundle supports that does not
//   KWDOCS_PYTHON_OLD        optional: a Python older than the bundle supports
// Only the Python extension's answer is given by hand: that extension cannot be installed here.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { pathToFileURL } from 'node:url';

const CLIENT = process.env.KWDOCS_CLIENT;
const WITH = process.env.KWDOCS_PYTHON_WITH;
const WITHOUT = process.env.KWDOCS_PYTHON_WITHOUT;
const OLD = process.env.KWDOCS_PYTHON_OLD || undefined;

let choice;
let python;
let bundle;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kwdocs-choice-'));

before(async () => {
  assert.ok(CLIENT && WITH && WITHOUT, 'set KWDOCS_CLIENT, KWDOCS_PYTHON_WITH and KWDOCS_PYTHON_WITHOUT');
  const { build } = await import(pathToFileURL(path.join(CLIENT, 'node_modules', 'esbuild', 'lib', 'main.js')));
  for (const name of ['choice', 'python']) {
    await build({
      entryPoints: [path.join(CLIENT, 'src', `${name}.ts`)],
      bundle: true,
      format: 'esm',
      platform: 'node',
      outfile: path.join(tmp, `${name}.mjs`),
      logLevel: 'error',
    });
  }
  choice = await import(pathToFileURL(path.join(tmp, 'choice.mjs')));
  python = await import(pathToFileURL(path.join(tmp, 'python.mjs')));
  bundle = choice.readBundle(CLIENT);
  assert.ok(bundle, `no bundle.json under ${CLIENT}/bundled/libs: build the .vsix first`);
});

process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

function inputs(overrides = {}) {
  return {
    serverPath: '',
    pythonPath: '',
    importStrategy: 'fromEnvironment',
    pythonExtension: async () => undefined,
    pathPythons: () => [WITHOUT],
    bundle,
    probe: (command) => python.probePython(command, tmp),
    ...overrides,
  };
}

test('kwdocs.server.path comes first, run as `<path> serve`', async () => {
  const kwdocs = path.join(path.dirname(WITH), 'kwdocs');
  const chosen = await choice.chooseServer(inputs({ serverPath: kwdocs, pythonExtension: async () => WITH }));
  assert.equal(chosen.kind, 'path');
  assert.equal(chosen.command, kwdocs);
  assert.deepEqual(chosen.args, ['serve']);
});

test('a kwdocs.server.path that names nothing is a problem, not a fallback', async () => {
  const chosen = await choice.chooseServer(inputs({ serverPath: path.join(tmp, 'no-such-kwdocs') }));
  assert.ok(choice.isProblem(chosen));
  assert.match(chosen.reason, /kwdocs\.server\.path names .*no-such-kwdocs/);
  assert.match(chosen.fix, /bundled/);
});

test("the Python extension's interpreter with kwdocs runs its own kwdocs, isolated", async () => {
  const chosen = await choice.chooseServer(inputs({ pythonExtension: async () => WITH }));
  assert.equal(chosen.kind, 'environment');
  assert.deepEqual(chosen.args, ['-I', '-m', 'kwdocs', 'serve']);
  assert.ok(chosen.python.kwdocs, 'the probe saw kwdocs');
  assert.match(chosen.description, /the Python extension/);
});

test('importStrategy useBundled runs the bundled kwdocs even where the interpreter has one', async () => {
  const chosen = await choice.chooseServer(
    inputs({ pythonExtension: async () => WITH, importStrategy: 'useBundled' }),
  );
  assert.equal(chosen.kind, 'bundled');
  assert.deepEqual(chosen.args, ['-I', '-S', bundle.launcher, 'serve']);
  assert.equal(chosen.python.command, WITH, "the Python extension's interpreter runs it");
});

test("the Python extension's interpreter without kwdocs runs the bundled copy, before PATH", async () => {
  const chosen = await choice.chooseServer(
    inputs({ pythonExtension: async () => WITHOUT, pathPythons: () => [WITH] }),
  );
  assert.equal(chosen.kind, 'bundled');
  assert.equal(chosen.python.command, WITHOUT);
  assert.equal(chosen.python.kwdocs, undefined);
});

test('with nothing configured and no Python extension, a Python on PATH runs the bundled copy', async () => {
  const chosen = await choice.chooseServer(inputs());
  assert.equal(chosen.kind, 'bundled');
  assert.match(chosen.description, /^bundled kwdocs \d+\.\d+\.\d+ on Python 3\.\d+/);
  assert.ok(bundle.abis.includes(chosen.python.abi));
});

test('a kwdocs on PATH is not chosen by itself: only kwdocs.server.path names one', async () => {
  // WITH's folder holds a kwdocs executable; PATH's Pythons are only asked to run the bundle.
  const chosen = await choice.chooseServer(inputs({ pathPythons: () => [WITH] }));
  assert.equal(chosen.kind, 'bundled');
});

test('an old kwdocs.server.pythonPath is a problem naming the versions; PATH is not tried', { skip: !OLD }, async () => {
  const chosen = await choice.chooseServer(inputs({ pythonPath: OLD }));
  assert.ok(choice.isProblem(chosen));
  assert.match(chosen.reason, /kwdocs\.server\.pythonPath .* is not a CPython 3\.10–3\.\d+/);
  assert.equal(chosen.tried.length, 1);
  assert.match(chosen.tried[0], /cpython 3\.9/);
});

test('no supported Python at all: the problem lists what was tried', async () => {
  const chosen = await choice.chooseServer(
    inputs({ pathPythons: () => [...(OLD ? [OLD] : []), path.join(tmp, 'no-such-python')] }),
  );
  assert.ok(choice.isProblem(chosen));
  assert.match(chosen.reason, /no CPython 3\.10–3\.\d+ was found/);
  assert.match(chosen.fix, /kwdocs\.server\.pythonPath/);
  assert.ok(chosen.tried.some((line) => line.includes('no-such-python')));
});

test('the probe runs isolated: a kwdocs.py in its folder is not imported', async () => {
  const folder = fs.mkdtempSync(path.join(tmp, 'workspace-'));
  fs.writeFileSync(path.join(folder, 'kwdocs.py'), '__version__ = "from the workspace"\n');
  const info = await python.probePython(WITHOUT, folder);
  assert.equal(info.kwdocs, undefined);
});

test('PATH search: absolute folders only, each interpreter once, skipped folders left out', () => {
  const bin = fs.mkdtempSync(path.join(tmp, 'bin-'));
  const other = fs.mkdtempSync(path.join(tmp, 'other-'));
  fs.symlinkSync(WITHOUT, path.join(bin, 'python3'));
  fs.symlinkSync(WITHOUT, path.join(bin, 'python3.99'));
  fs.symlinkSync(WITHOUT, path.join(other, 'python3'));
  const searchPath = ['relative/bin', bin, other].join(path.delimiter);
  assert.deepEqual(python.pythonsOnPath(searchPath, ['python3', 'python3.99']), [path.join(bin, 'python3')]);
  assert.deepEqual(
    python.pythonsOnPath(searchPath, ['python3'], (dir) => dir === bin),
    [path.join(other, 'python3')],
  );
});
