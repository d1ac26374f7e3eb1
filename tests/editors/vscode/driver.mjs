// Drives the kwdocs extension in real VS Code (code-server) with Debian's chromium:
// hover, go to definition and the export command, with a screenshot of each step.
//
// Run by tests/editors/test_vscode.py; standalone:
//   KWDOCS_CODE_SERVER=…/code-server KWDOCS_VSIX=…/kwdocs-linux-x64-0.1.0.vsix \
//   KWDOCS_ARTIFACTS=/tmp/artifacts node driver.mjs
//
// Two scenarios (KWDOCS_SCENARIO):
//   bundled      no kwdocs setting: the extension runs the kwdocs it carries; every step,
//                and which process serves (a Python running bundled/tool/launch.py);
//   server-path  kwdocs.server.path is KWDOCS_SERVER_PATH: that executable serves the
//                hover and definition; then a missing kwdocs.server.path, typed into the
//                Settings editor, gets an error message with the fix.
// code-server runs with this process's environment: the test gives it one where no Python
// has kwdocs.
//
// Writes $KWDOCS_ARTIFACTS/result.json ({ok, checks: [{name, ok, detail}], …}) and
// exits 0 only if every check passed. Every wait is bounded; code-server and
// chromium are always stopped. Optional: KWDOCS_CHROMIUM (default /usr/bin/chromium),
// KWDOCS_DRIVER_TIMEOUT (whole run, s), KWDOCS_READY_TIMEOUT (server start, s),
// KWDOCS_KEEP_WORKSPACE=1 keeps the temporary workspace and user data.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium } from 'playwright-core';

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined || value === '') {
    console.error(`driver: set ${name}`);
    process.exit(2);
  }
  return value;
};
const CODE_SERVER = env('KWDOCS_CODE_SERVER');
const VSIX = env('KWDOCS_VSIX');
const SCENARIO = env('KWDOCS_SCENARIO', 'bundled');
if (!['bundled', 'server-path'].includes(SCENARIO)) {
  console.error(`driver: unknown KWDOCS_SCENARIO ${SCENARIO}`);
  process.exit(2);
}
const SERVER_PATH = SCENARIO === 'server-path' ? env('KWDOCS_SERVER_PATH') : undefined;
const ARTIFACTS = path.resolve(env('KWDOCS_ARTIFACTS'));
const CHROMIUM = env('KWDOCS_CHROMIUM', '/usr/bin/chromium');
// The whole run, after which everything is stopped and the driver fails.
const TOTAL_SECONDS = Number(env('KWDOCS_DRIVER_TIMEOUT', '300'));
// How long the server may take to start and index the small workspace.
const READY_SECONDS = Number(env('KWDOCS_READY_TIMEOUT', '90'));

// The workspace: a class with a docstring, used from another module.
const SHAPES_PY = `"""Plane shapes."""


class Shape:
    """A plane figure with a name and an area.

    Subclasses override :meth:\`area\`.
    """

    def __init__(self, name: str) -> None:
        self.name = name

    def area(self) -> float:
        """Return the area of the shape."""
        return 0.0


class Square(Shape):
    """A square with sides of equal length."""

    def __init__(self, side: float) -> None:
        super().__init__("square")
        self.side = side

    def area(self) -> float:
        return self.side * self.side
`;
const USE_PY = `"""Describes shapes."""
from pkg.shapes import Shape, Square


def describe(shape: Shape) -> str:
    """Return a one-line description of a shape."""
    return f"{shape.name}: {shape.area():.2f}"


print(describe(Square(2.0)))


def make():
    return Square(2.0)


print(make().area())
`;
// Where the cursor goes for the hover: inside \`Shape\` in \`describe(shape: Shape)\`.
const HOVER_AT = { line: 5, column: 22 };
const SHAPE_DEFINITION_LINE = 4; // `class Shape:` in shapes.py
// `area` in `print(make().area())`: only jedi's inference (in the server's child process)
// knows that make() returns a Square, whose area is on line 25 of shapes.py.
const INFERRED_AT = { line: 17, column: 15 };
const SQUARE_AREA_LINE = 25;
const DOCSTRING_SUMMARY = 'A plane figure with a name and an area';
// C++ headers of the PyTorch wheel copied into the workspace (KWDOCS_CPP_FILES: JSON list of
// {source, rel}); the bundled run hovers, goes to definition and lists symbols in the first.
const CPP_FILES = JSON.parse(process.env.KWDOCS_CPP_FILES ?? '[]');
// In ProcessGroup.hpp: `class TORCH_API ProcessGroup : …` (line 73; the name from column 17),
// `#include <torch/csrc/distributed/c10d/Backend.hpp>` (line 4) and `allreduce` (line 241).
const CPP_HOVER_AT = { line: 73, column: 20 };
const CPP_INCLUDE_AT = { line: 4, column: 40 };
const CPP_ALLREDUCE_LINE = 241;
const CPP_SUMMARY = 'ProcessGroup is a base class that captures collective';

const started = Date.now();
const elapsed = () => ((Date.now() - started) / 1000).toFixed(1);
const log = (message) => console.log(`[driver ${elapsed()}s] ${message}`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const result = { ok: false, checks: [], screenshots: [], workspace: null, error: null };
const check = (name, ok, detail) => {
  result.checks.push({ name, ok: Boolean(ok), detail });
  log(`${ok ? 'PASS' : 'FAIL'} ${name}: ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`);
  return Boolean(ok);
};

let codeServer;
let browser;
let page;
let shot = 0;

async function screenshot(name) {
  if (!page) return;
  const file = path.join(ARTIFACTS, `${String(++shot).padStart(2, '0')}-${name}.png`);
  try {
    await page.screenshot({ path: file, timeout: 10_000 });
    result.screenshots.push(path.basename(file));
  } catch (error) {
    log(`screenshot ${name} failed: ${error.message}`);
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Polls `probe` until it returns a truthy value or `seconds` pass. */
async function waitFor(what, seconds, probe, intervalMs = 250) {
  const deadline = Date.now() + seconds * 1000;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await probe();
      if (last) return last;
    } catch (error) {
      if (error instanceof ServerStartError) throw error;
      last = error;
    }
    await sleep(intervalMs);
  }
  throw new Error(`timed out after ${seconds}s waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
}

function makeWorkspace(root) {
  const workspace = path.join(root, 'workspace');
  fs.mkdirSync(path.join(workspace, 'pkg'), { recursive: true });
  fs.writeFileSync(path.join(workspace, 'pkg', '__init__.py'), '"""Shapes package."""\n');
  fs.writeFileSync(path.join(workspace, 'pkg', 'shapes.py'), SHAPES_PY);
  fs.writeFileSync(path.join(workspace, 'pkg', 'use.py'), USE_PY);
  // A copy of PyTorch's FSDP folder, with no torch/ above it.
  if (process.env.KWDOCS_FSDP_DIR) {
    fs.cpSync(process.env.KWDOCS_FSDP_DIR, path.join(workspace, 'fsdp'), { recursive: true });
  }
  for (const { source, rel } of CPP_FILES) {
    fs.mkdirSync(path.dirname(path.join(workspace, rel)), { recursive: true });
    fs.copyFileSync(source, path.join(workspace, rel));
  }

  const userData = path.join(root, 'user-data');
  fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
  // The second run turns jedi's inference on (a kwdocs setting; the first run has none).
  writeSettings(userData, SCENARIO === 'server-path' ? { 'kwdocs.definitionInference': 'jedi' } : {});
  if (SERVER_PATH) {
    // kwdocs.server.path is a machine setting: a remote window (code-server's) reads it from
    // the remote machine's settings, the Settings editor's Remote tab.
    fs.mkdirSync(path.join(userData, 'Machine'), { recursive: true });
    fs.writeFileSync(
      path.join(userData, 'Machine', 'settings.json'),
      JSON.stringify({ 'kwdocs.server.path': SERVER_PATH }, null, 2),
    );
  }
  const tmp = path.join(root, 'tmp');
  fs.mkdirSync(tmp);
  return { workspace, userData, tmp, extensions: path.join(root, 'extensions'), config: path.join(root, 'config.yaml') };
}

function writeSettings(userData, overrides) {
  const settings = {
    // The browser's title names the active editor's file: where "Open index" led.
    'window.title': '${activeEditorLong}',
    // The protocol traffic ends up in the kwdocs log, copied to the artifacts.
    'kwdocs.trace.server': 'verbose',
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'workbench.welcomePage.walkthroughs.openOnInstall': false,
    'security.workspace.trust.enabled': false,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'extensions.autoUpdate': false,
    'extensions.autoCheckUpdates': false,
    'extensions.ignoreRecommendations': true,
    'git.enabled': false,
    'editor.minimap.enabled': false,
    'window.commandCenter': false,
    'chat.commandCenter.enabled': false,
    ...overrides,
  };
  fs.writeFileSync(path.join(userData, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
}

function installExtension(dirs) {
  const args = ['--config', dirs.config, '--extensions-dir', dirs.extensions, '--user-data-dir', dirs.userData];
  const run = spawnSync(CODE_SERVER, [...args, '--install-extension', VSIX, '--force'], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  fs.writeFileSync(path.join(ARTIFACTS, 'install-extension.log'), `${run.stdout}\n${run.stderr}`);
  const installed = spawnSync(CODE_SERVER, [...args, '--list-extensions', '--show-versions'], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  const listed = installed.stdout ?? '';
  return check(
    'install the .vsix',
    run.status === 0 && /kwdocs\.kwdocs@/.test(listed),
    `exit ${run.status}; installed: ${listed.trim() || '(none)'}${run.error ? `; ${run.error.message}` : ''}`,
  );
}

async function startCodeServer(dirs, port) {
  const logFile = fs.openSync(path.join(ARTIFACTS, 'code-server.log'), 'w');
  codeServer = spawn(
    CODE_SERVER,
    [
      '--config', dirs.config,
      '--auth', 'none',
      '--bind-addr', `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--extensions-dir', dirs.extensions,
      '--user-data-dir', dirs.userData,
      dirs.workspace,
    ],
    {
      stdio: ['ignore', logFile, logFile],
      // Its own process group, so that the extension host and the kwdocs server
      // it starts are stopped with it.
      detached: true,
      // Its IPC sockets go into the temporary folder removed at the end.
      env: { ...process.env, TMPDIR: dirs.tmp },
    },
  );
  let exited = null;
  codeServer.once('exit', (code, signal) => {
    exited = `code-server exited (${signal ?? code})`;
  });
  await waitFor('code-server /healthz', 60, async () => {
    if (exited) throw new Error(exited);
    const response = await fetch(`http://127.0.0.1:${port}/healthz`);
    return response.ok;
  });
  log(`code-server is up on port ${port}`);
}

const statusBarText = () => page.locator('.statusbar').innerText({ timeout: 5_000 });
const activeTab = async () =>
  (await page.locator('.tabs-container .tab.active').first().getAttribute('aria-label', { timeout: 5_000 })) ?? '';

async function openFile(name) {
  const input = page.locator('.quick-input-widget input');
  // Up to three tries: an Enter typed while Quick Open is still filtering its list can be
  // dropped.
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+P');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(name);
    // Wait for the file in the results before accepting.
    await page
      .locator('.quick-input-list .monaco-list-row', { hasText: name })
      .first()
      .waitFor({ state: 'visible', timeout: 15_000 });
    await sleep(300);
    await page.keyboard.press('Enter');
    try {
      await waitFor(`the tab of ${name}`, 5, async () => (await activeTab()).startsWith(name));
      return;
    } catch (error) {
      if (attempt === 3) throw error;
      log(`open ${name}: try ${attempt} did not open it, again`);
    }
  }
}

async function goToLine(line, column) {
  const at = `Ln ${line}, Col ${column}`;
  const input = page.locator('.quick-input-widget input');
  // Up to three tries: an Enter typed while the quick input is still updating
  // its list can be dropped.
  for (let attempt = 1; ; attempt++) {
    if (!(await input.isVisible())) {
      await page.keyboard.press('Control+G');
      await input.waitFor({ state: 'visible', timeout: 10_000 });
    }
    await input.fill(`:${line}:${column}`);
    await page
      .locator('.quick-input-list .monaco-list-row', { hasText: `line ${line}` })
      .first()
      .waitFor({ state: 'visible', timeout: 5_000 });
    await page.keyboard.press('Enter');
    try {
      await waitFor(`the cursor at ${line}:${column}`, 5, async () => (await statusBarText()).includes(at));
      return;
    } catch (error) {
      if (attempt === 3) throw error;
      log(`go to ${line}:${column}: try ${attempt} did not move the cursor, again`);
    }
  }
}

/** Opens the Settings editor on the one setting `key` (@id: shows that one only). */
async function searchSetting(key) {
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+Comma');
  await page.locator('.settings-editor').waitFor({ state: 'visible', timeout: 15_000 });
  // The search box has the focus when the editor opens, not when it was open already.
  await page.locator('.settings-editor .settings-header .suggest-input-container').first().click({ timeout: 5_000 });
  await page.keyboard.press('Control+A');
  await page.keyboard.type(`@id:${key}`, { delay: 10 });
}

/** Types a string setting into the Settings editor, as a user would. */
async function setSettingInUi(key, value) {
  await searchSetting(key);
  // kwdocs.server.* are machine settings: in code-server, as in any remote
  // window, they are set for the remote machine.
  await page.locator('.settings-tabs-widget .action-label', { hasText: 'Remote' }).click({ timeout: 10_000 });
  const input = page.locator('.settings-editor .setting-item-contents input').first();
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  await input.fill(value);
  await page.keyboard.press('Tab');
}

/** Clicks the checkbox of a boolean setting in the Settings editor (User tab). */
async function toggleSettingInUi(key) {
  await searchSetting(key);
  await page.locator('.settings-tabs-widget .action-label', { hasText: 'User' }).click({ timeout: 10_000 });
  const checkbox = page.locator('.settings-editor .setting-item-bool .setting-value-checkbox').first();
  await checkbox.waitFor({ state: 'visible', timeout: 15_000 });
  await checkbox.click();
  await sleep(500);
}

async function hoverContents() {
  const hover = page.locator('.monaco-hover:not(.hidden)').filter({ hasText: /\S/ });
  await hover.first().waitFor({ state: 'visible', timeout: 3_000 });
  const text = (await hover.allInnerTexts()).join('\n').trim();
  // Rendered Markdown links keep their target in data-href (href may be empty).
  const links = await hover.locator('a').evaluateAll((anchors) =>
    anchors.map((a) => a.getAttribute('data-href') || a.getAttribute('href') || a.getAttribute('title') || ''),
  );
  return { text, links };
}

class ServerStartError extends Error {}

async function showHoverWhenReady() {
  // The first hovers can be empty (or "Loading…") while the server starts and
  // indexes: ask again until the kwdocs hover shows, within READY_SECONDS.
  let last = { text: '', links: [] };
  try {
    return await waitFor(
      'a non-empty hover',
      READY_SECONDS,
      async () => {
        // The extension's error message when the server cannot start: no use waiting.
        const failure = page.locator('.notification-toast', { hasText: /kwdocs: the language server (did not|could not be) start/ });
        if (await failure.count()) {
          throw new ServerStartError((await failure.first().innerText()).replace(/\s+/g, ' '));
        }
        await page.keyboard.press('Escape');
        await page.keyboard.press('Control+K');
        await page.keyboard.press('Control+I');
        try {
          last = await hoverContents();
        } catch {
          return false;
        }
        return last.text && !/^loading/i.test(last.text) && last.text.includes('Shape') ? last : false;
      },
      1_000,
    );
  } catch (error) {
    if (error instanceof ServerStartError) throw error;
    log(`${error.message}; last hover: ${JSON.stringify(last)}`);
    return last;
  }
}

async function runCommand(title) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(`>${title}`);
  await page
    .locator('.quick-input-list .monaco-list-row', { hasText: title })
    .first()
    .waitFor({ state: 'visible', timeout: 10_000 });
  await page.keyboard.press('Enter');
}

/** The text of the first notification matching `pattern`, or what was shown instead. */
async function toastText(pattern, seconds = 30) {
  const toast = page.locator('.notification-toast', { hasText: pattern });
  try {
    await toast.first().waitFor({ state: 'visible', timeout: seconds * 1000 });
    await sleep(700); // let it finish sliding in before the screenshot
    return (await toast.first().innerText()).replace(/\s+/g, ' ').trim();
  } catch (error) {
    const toasts = await page.locator('.notification-toast').allInnerTexts().catch(() => []);
    return `${error.message.split('\n')[0]}; notifications: ${JSON.stringify(toasts)}`;
  }
}

async function clearNotifications() {
  await runCommand('Notifications: Clear All Notifications');
  await page.locator('.notification-toast').first().waitFor({ state: 'hidden', timeout: 5_000 }).catch(() => {});
}

function copyServerLogs(userData) {
  // The extension's log output channel is a file under the user data logs.
  const found = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/kwdocs.*\.log$/.test(entry.name) || (entry.name === 'exthost.log')) found.push(full);
    }
  };
  try {
    walk(path.join(userData, 'logs'));
  } catch {
    return;
  }
  for (const file of found) {
    const name = path.relative(path.join(userData, 'logs'), file).replace(/[\\/]/g, '__');
    fs.copyFileSync(file, path.join(ARTIFACTS, name));
    if (name.endsWith('kwdocs.log')) {
      // The errors (and the server's tracebacks on stderr) for the test's failure message.
      const lines = fs.readFileSync(file, 'utf8').split('\n');
      result.serverErrors = lines.filter((line) => /error|traceback|exception/i.test(line)).slice(-20);
    }
  }
}

async function cleanup() {
  if (browser) {
    await Promise.race([browser.close().catch(() => {}), sleep(10_000)]);
    browser = undefined;
  }
  if (codeServer && codeServer.exitCode === null && codeServer.signalCode === null) {
    const group = -codeServer.pid;
    try {
      process.kill(group, 'SIGTERM');
    } catch {}
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline && codeServer.exitCode === null && codeServer.signalCode === null) await sleep(100);
    try {
      // Whatever is left of the group (the extension host, the kwdocs server).
      process.kill(group, 'SIGKILL');
    } catch {}
  }
}

async function main() {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  for (const old of fs.readdirSync(ARTIFACTS)) {
    if (old !== '.gitignore') fs.rmSync(path.join(ARTIFACTS, old), { recursive: true, force: true });
  }
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kwdocs-vscode-'));
  const dirs = makeWorkspace(root);
  result.workspace = dirs.workspace;
  log(`workspace ${dirs.workspace}`);
  const consoleLines = [];
  try {
    if (!installExtension(dirs)) return;
    const port = await freePort();
    await startCodeServer(dirs, port);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      // Playwright gives every launch a new empty profile.
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      timeout: 60_000,
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('console', (message) => consoleLines.push(`[${message.type()}] ${message.text()}`));
    page.on('pageerror', (error) => consoleLines.push(`[pageerror] ${error.message}`));
    await drive(dirs, port);
  } catch (error) {
    await screenshot('failure');
    throw error;
  } finally {
    fs.writeFileSync(path.join(ARTIFACTS, 'browser-console.log'), consoleLines.join('\n'));
    await cleanup();
    copyServerLogs(dirs.userData);
    if (!process.env.KWDOCS_KEEP_WORKSPACE) fs.rmSync(root, { recursive: true, force: true });
  }
}

/** The processes below `pid` (children, grandchildren, …), from /proc. */
function descendants(pid) {
  const children = new Map();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(parent)) children.set(parent, []);
      children.get(parent).push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  const found = [];
  const queue = [pid];
  while (queue.length) {
    for (const child of children.get(queue.shift()) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** The command line of the kwdocs server code-server's extension host started. */
function serverProcess() {
  for (const pid of descendants(codeServer.pid)) {
    let argv;
    try {
      argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    } catch {
      continue;
    }
    const serves = argv.includes('serve') && argv.includes('--stdio');
    if (serves && argv.some((arg) => arg.endsWith('launch.py') || arg === SERVER_PATH)) {
      return { pid, argv };
    }
  }
  return undefined;
}

/** The environment a process runs with, from /proc. */
function environOf(pid) {
  const env = {};
  for (const entry of fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
    const at = entry.indexOf('=');
    if (at > 0) env[entry.slice(0, at)] = entry.slice(at + 1);
  }
  return env;
}

/**
 * Every Python on the PATH of `env` (python3, python, python3.N), run with `env`: its version,
 * or why it does not run (a pyenv shim of an unselected version), and whether it imports kwdocs.
 */
function pythonsIn(env) {
  const names = ['python3', 'python', ...Array.from({ length: 10 }, (_, i) => `python3.${i + 6}`)];
  const found = [];
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter((d) => path.isAbsolute(d))) {
    for (const name of names) {
      const file = path.join(dir, name);
      try {
        fs.accessSync(file, fs.constants.X_OK);
      } catch {
        continue;
      }
      const run = spawnSync(file, ['-c', 'import sys; print(sys.version.split()[0]); import kwdocs'], {
        encoding: 'utf8',
        env,
        cwd: os.homedir(),
        timeout: 30_000,
      });
      const version = run.stdout.trim();
      found.push({ python: file, version, runs: version !== '', kwdocs: run.status === 0 });
    }
  }
  return found;
}

/** The kwdocs entry of the language status ({} in the status bar), as its hover shows it. */
async function languageStatus() {
  await page.keyboard.press('Escape');
  const item = page.locator('[id="status.languageStatus"]');
  await item.hover({ timeout: 5_000 });
  const hover = page.locator('.monaco-hover:not(.hidden) .hover-language-status', { hasText: 'kwdocs' });
  await hover.first().waitFor({ state: 'visible', timeout: 5_000 });
  const text = (await hover.first().innerText()).replace(/\s+/g, ' ').trim();
  await page.mouse.move(640, 300);
  return text;
}

async function goToDefinition(file, line, expectedLine) {
  await page.keyboard.press('Escape');
  await page.keyboard.press('F12');
  try {
    await waitFor(`${file} to become the active editor`, 20, async () => (await activeTab()).startsWith(file));
    await waitFor(`line ${expectedLine}`, 5, async () => (await statusBarText()).includes(`Ln ${expectedLine},`));
  } catch (error) {
    log(error.message);
  }
  await sleep(500);
  return {
    tab: await activeTab().catch(() => ''),
    position: /Ln \d+, Col \d+/.exec(await statusBarText().catch(() => ''))?.[0] ?? '',
  };
}

/** Hover, go to definition and Go to Symbol in Editor in a C++ header of the wheel. */
async function driveCpp() {
  await page.keyboard.press('Escape');
  await openFile('ProcessGroup.hpp');
  await goToLine(CPP_HOVER_AT.line, CPP_HOVER_AT.column);
  let hover = { text: '', links: [] };
  try {
    hover = await waitFor('the C++ hover', 30, async () => {
      await page.keyboard.press('Escape');
      await page.keyboard.press('Control+K');
      await page.keyboard.press('Control+I');
      const shown = await hoverContents().catch(() => ({ text: '', links: [] }));
      return shown.text.includes('c10d::ProcessGroup') ? shown : false;
    }, 1_000);
  } catch (error) {
    hover.text = error.message;
  }
  await screenshot('cpp-hover');
  result.cppHover = hover;
  check('C++ hover names c10d::ProcessGroup', hover.text.includes('class c10d::ProcessGroup'), hover.text);
  check('C++ hover shows the comment above the class', hover.text.includes(CPP_SUMMARY), hover.text);
  check(
    'C++ hover links to the page of ProcessGroup.hpp',
    hover.links.some((link) => /ProcessGroup\.hpp_docs\.md#/.test(decodeURIComponent(link))),
    hover.links,
  );

  // Go to definition on the include: the header it names.
  await goToLine(CPP_INCLUDE_AT.line, CPP_INCLUDE_AT.column);
  const definition = await goToDefinition('Backend.hpp', CPP_INCLUDE_AT.line, 1);
  await screenshot('cpp-definition');
  result.cppDefinition = definition;
  check('C++ go to definition of an include opens Backend.hpp', definition.tab.startsWith('Backend.hpp'), definition.tab);
  check('C++ go to definition lands on line 1', definition.position.startsWith('Ln 1,'), definition.position);

  // Go to Symbol in Editor: the header's outline, from the server's document symbols.
  await page.keyboard.press('Escape');
  await openFile('ProcessGroup.hpp');
  const input = page.locator('.quick-input-widget input');
  let rows = [];
  let shown = [];
  try {
    rows = await waitFor('the outline of ProcessGroup.hpp', 30, async () => {
      await page.keyboard.press('Escape');
      await page.keyboard.press('Control+Shift+O');
      await input.waitFor({ state: 'visible', timeout: 10_000 });
      await input.fill('@allreduce');
      await sleep(500);
      const texts = await page.locator('.quick-input-list .monaco-list-row').allInnerTexts();
      shown = texts;
      // A row shows the symbol's name, then its container (the class): their texts run together.
      return texts.some((text) => text.trim().startsWith('allreduceProcessGroup')) ? texts : false;
    });
  } catch (error) {
    rows = [error.message, ...shown];
  }
  await screenshot('cpp-symbols');
  result.cppSymbols = rows;
  check(
    'Go to Symbol in Editor lists allreduce in ProcessGroup.hpp',
    rows.some((row) => row.trim().startsWith('allreduceProcessGroup')),
    rows,
  );
  await page.keyboard.press('Enter');
  let position = '';
  try {
    position = await waitFor(`line ${CPP_ALLREDUCE_LINE}`, 10, async () => {
      const found = /Ln \d+, Col \d+/.exec(await statusBarText())?.[0] ?? '';
      return found.startsWith(`Ln ${CPP_ALLREDUCE_LINE},`) ? found : false;
    });
  } catch (error) {
    position = error.message;
  }
  check(`the symbol leads to allreduce (line ${CPP_ALLREDUCE_LINE})`, position.startsWith(`Ln ${CPP_ALLREDUCE_LINE},`), position);
  await page.keyboard.press('Escape');
}

/** The steps in the editor, as a user would take them. */
async function drive(dirs, port) {
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(dirs.workspace)}`, {
    timeout: 60_000,
  });
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
  await page.locator('.statusbar').waitFor({ state: 'visible', timeout: 60_000 });
  // Give keyboard focus to the workbench (the page itself has none at first).
  await page.locator('.part.editor').click({ timeout: 10_000 });
  await screenshot('workbench');
  log('workbench loaded');

  // Hover.
  await openFile('use.py');
  await goToLine(HOVER_AT.line, HOVER_AT.column);
  await screenshot('use-py-cursor-on-Shape');
  log('use.py open, cursor on Shape; waiting for the hover');
  let hover;
  try {
    hover = await showHoverWhenReady();
  } catch (error) {
    if (!(error instanceof ServerStartError)) throw error;
    await screenshot('server-did-not-start');
    check('the kwdocs server starts', false, error.message);
    return;
  }
  check('the kwdocs server starts', true, 'no start-up error shown');
  await screenshot('hover');
  result.hover = hover;
  check('hover names the class', hover.text.includes('Shape'), hover.text);
  check('hover shows the docstring summary', hover.text.includes(DOCSTRING_SUMMARY), hover.text);
  check(
    'hover links to the page of shapes.py',
    hover.links.some((link) => /shapes\.py_docs\.md#/.test(decodeURIComponent(link))),
    hover.links,
  );

  // Which process answered.
  const server = serverProcess();
  result.server = server;
  if (SCENARIO === 'bundled') {
    const launcher = server?.argv.find((arg) => arg.endsWith(path.join('bundled', 'tool', 'launch.py'))) ?? '';
    check(
      'the bundled kwdocs serves',
      server !== undefined && launcher.startsWith(dirs.extensions) && server.argv.slice(1, 3).join(' ') === '-I -S',
      server?.argv ?? 'no kwdocs server process below code-server',
    );
    // No Python the extension host can find has kwdocs: the extension host's environment is
    // not the one code-server was started with (VS Code takes PATH from a login shell), so
    // look at the environment the server actually got.
    const pythons = server ? pythonsIn(environOf(server.pid)) : [];
    result.extensionHostPythons = pythons;
    check(
      'no Python on the extension host\'s PATH has kwdocs',
      pythons.some((p) => p.runs) && pythons.every((p) => !p.kwdocs),
      pythons.map((p) => `${p.python} ${p.version || '(does not run)'}${p.kwdocs ? ' HAS KWDOCS' : ''}`),
    );
    // The interpreter that runs it has no kwdocs of its own.
    const own = server ? spawnSync(server.argv[0], ['-c', 'import kwdocs'], { encoding: 'utf8', timeout: 30_000 }) : undefined;
    result.serverPythonImport = own ? `${own.status}: ${own.stderr.trim().split('\n').pop()}` : '';
    check(
      "the server's Python cannot import kwdocs by itself",
      own !== undefined && own.status !== 0 && /No module named .?kwdocs/.test(own.stderr),
      result.serverPythonImport,
    );
  } else {
    check('kwdocs.server.path serves', server !== undefined && server.argv.includes(SERVER_PATH), server?.argv ?? 'no kwdocs server process below code-server');
  }

  // The language status item: the keyword count once indexing is done, and which server runs.
  let statusItem = '';
  try {
    statusItem = await waitFor('the kwdocs language status', 30, async () => {
      const text = await languageStatus();
      return /kwdocs: [1-9]\d* keywords/.test(text) ? text : false;
    });
  } catch (error) {
    statusItem = error.message;
  }
  await screenshot('language-status');
  result.languageStatus = statusItem;
  check('language status shows the keyword count', /kwdocs: [1-9]\d* keywords/.test(statusItem), statusItem);
  const serverNamed = SCENARIO === 'bundled' ? /bundled kwdocs \d+\.\d+\.\d+ on Python 3\.\d+/ : new RegExp(SERVER_PATH.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
  check('language status names the server', serverNamed.test(statusItem), statusItem);

  // Go to definition: from the index.
  await goToLine(HOVER_AT.line, HOVER_AT.column);
  const definition = await goToDefinition('shapes.py', HOVER_AT.line, SHAPE_DEFINITION_LINE);
  await screenshot('definition');
  result.definition = definition;
  check('go to definition opens shapes.py', definition.tab.startsWith('shapes.py'), definition.tab);
  check(
    `go to definition lands on line ${SHAPE_DEFINITION_LINE}`,
    definition.position.startsWith(`Ln ${SHAPE_DEFINITION_LINE},`),
    definition.position,
  );

  // A copy of a subpackage: its files name each other by the package's full name
  // (torch.distributed.fsdp._flat_param), which still leads to the copied files.
  if (process.env.KWDOCS_FSDP_DIR) {
    const runtime = path.join(dirs.workspace, 'fsdp', '_runtime_utils.py');
    const flatParam = path.join(dirs.workspace, 'fsdp', '_flat_param.py');
    const lineOf = (file, text) => fs.readFileSync(file, 'utf8').split('\n').findIndex((l) => l === text) + 1;
    const useLine = lineOf(runtime, '    handle: FlatParamHandle,');
    const classLine = lineOf(flatParam, 'class FlatParamHandle:');
    await openFile('_runtime_utils.py');
    await goToLine(useLine, 15);
    let fsdpHover = { text: '', links: [] };
    await waitFor('the hover of FlatParamHandle', 30, async () => {
      await page.keyboard.press('Escape');
      await page.keyboard.press('Control+K');
      await page.keyboard.press('Control+I');
      try {
        fsdpHover = await hoverContents();
      } catch {
        return false;
      }
      return fsdpHover.text.includes('FlatParamHandle');
    }).catch((error) => log(error.message));
    await screenshot('fsdp-hover');
    result.fsdpHover = fsdpHover;
    check(
      'hover on FlatParamHandle in _runtime_utils.py shows the class',
      /class\s+fsdp\._flat_param\.FlatParamHandle/.test(fsdpHover.text) && fsdpHover.text.includes('A handle that manages a flat parameter'),
      fsdpHover.text,
    );
    check(
      'hover on FlatParamHandle links to its page section',
      fsdpHover.links.some((link) => decodeURIComponent(link).includes('_flat_param.py_docs.md#class-flatparamhandle')),
      fsdpHover.links,
    );
    const landed = await goToDefinition('_flat_param.py', useLine, classLine);
    await screenshot('fsdp-definition');
    result.fsdpDefinition = landed;
    check(
      'definition of FlatParamHandle lands on its class line',
      landed.tab.startsWith('_flat_param.py') && landed.position.startsWith(`Ln ${classLine},`),
      { landed, classLine },
    );
  }
  if (SCENARIO === 'bundled' && CPP_FILES.length) await driveCpp();

  if (SCENARIO === 'server-path') {
    // Go to definition: from jedi's inference (turned on in this run), in the server's child
    // process.
    await openFile('use.py');
    await goToLine(INFERRED_AT.line, INFERRED_AT.column);
    let inferred = { tab: '', position: '' };
    // The inference process may still be starting: its first answer can come too late, and
    // then the index's two candidates (Shape.area, Square.area) show in a peek view.
    for (let attempt = 1; attempt <= 3; attempt++) {
      inferred = await goToDefinition('shapes.py', INFERRED_AT.line, SQUARE_AREA_LINE);
      if (inferred.tab.startsWith('shapes.py') && inferred.position.startsWith(`Ln ${SQUARE_AREA_LINE},`)) break;
      log(`inferred definition, try ${attempt}: ${JSON.stringify(inferred)}`);
      await page.keyboard.press('Escape');
      await openFile('use.py');
      await goToLine(INFERRED_AT.line, INFERRED_AT.column);
      await sleep(2_000);
    }
    await screenshot('definition-inferred');
    result.inferredDefinition = inferred;
    check(
      `inferred definition lands on Square.area (line ${SQUARE_AREA_LINE})`,
      inferred.tab.startsWith('shapes.py') && inferred.position.startsWith(`Ln ${SQUARE_AREA_LINE},`),
      inferred,
    );
  }

  if (SCENARIO === 'server-path') {
    // kwdocs.enable off: the server stops, the language status and the commands say so.
    await page.keyboard.press('Escape');
    await clearNotifications();
    await toggleSettingInUi('kwdocs.enable');
    let stopped = '';
    try {
      await waitFor('the server to stop', 20, async () => serverProcess() === undefined);
      await openFile('use.py');
      stopped = await waitFor('the disabled language status', 20, async () => {
        const text = await languageStatus();
        return text.includes('kwdocs: disabled') ? text : false;
      });
    } catch (error) {
      stopped = `${error.message}; server: ${JSON.stringify(serverProcess()?.argv)}`;
    }
    await screenshot('disabled');
    check('kwdocs.enable off stops the server and the status says so', stopped.includes('kwdocs: disabled'), stopped);
    await runCommand('kwdocs: Re-index workspace');
    const off = await toastText('kwdocs is turned off');
    check('a command while disabled says kwdocs is turned off', off.includes('kwdocs.enable') && off.includes('Open Settings'), off);
    await clearNotifications();
    await toggleSettingInUi('kwdocs.enable');
    let back;
    try {
      back = await waitFor('the server to start again', 60, async () => serverProcess());
    } catch (error) {
      log(error.message);
    }
    check('kwdocs.enable on starts it again', back?.argv.includes(SERVER_PATH), back?.argv ?? 'no server process');

    // A kwdocs.server.path that names nothing: the extension restarts when the setting
    // changes and says what to do.
    await page.keyboard.press('Escape');
    await clearNotifications();
    const missing = path.join(path.dirname(dirs.workspace), 'no-such-kwdocs');
    await setSettingInUi('kwdocs.server.path', missing);
    const message = await toastText('could not be started');
    await screenshot('server-cannot-start');
    check(
      'a missing kwdocs.server.path gets a message with the fix',
      message.includes(missing) &&
        message.includes('kwdocs.server.path') &&
        message.includes('bundled') &&
        message.includes('Open Settings') &&
        !message.includes('pip install'),
      message,
    );
    return;
  }

  // The other palette commands, with shapes.py as the active editor.
  await page.keyboard.press('Escape');
  await openFile('shapes.py');
  await runCommand('kwdocs: Export pages of this file');
  const fileToast = await toastText(/kwdocs: exported the pages of|exportFile failed/);
  await screenshot('export-file');
  check(
    'export of this file reports its pages',
    /kwdocs: exported the pages of shapes\.py — \d+ written, \d+ unchanged/.test(fileToast),
    fileToast,
  );
  await runCommand('kwdocs: Re-index workspace');
  const reindexToast = await toastText(/kwdocs: indexed|reindex failed/);
  await screenshot('reindex');
  check('re-index reports files and keywords', /kwdocs: indexed [1-9]\d* files, [1-9]\d* keywords/.test(reindexToast), reindexToast);
  await runCommand('kwdocs: Show debug information');
  let debugText = '';
  try {
    debugText = await waitFor('the debug information', 20, async () => {
      // The editor renders spaces as no-break spaces.
      const text = (await page.locator('.editor-instance .view-lines').first().innerText()).replace(/\u00a0/g, ' ');
      return text.includes('"version"') ? text : false;
    });
  } catch (error) {
    debugText = error.message;
  }
  await screenshot('debug-info');
  check(
    'debug information opens as JSON, naming the server',
    // Its first lines: what the extension started, then the server's own report.
    debugText.includes('"version"') && debugText.includes('"settings"') && /"server": "bundled kwdocs/.test(debugText),
    debugText.slice(0, 400),
  );
  await clearNotifications();

  // Export from the command palette.
  await runCommand('kwdocs: Export documentation pages');
  await screenshot('export-command');
  const toast = page.locator('.notification-toast', { hasText: /kwdocs: exported \d+ files?/ });
  const failed = page.locator('.notification-toast', { hasText: 'kwdocs.server.exportAll failed' });
  let notification = '';
  try {
    notification = await waitFor('the export notification', 60, async () => {
      for (const found of [toast, failed]) {
        if (await found.count()) return (await found.first().innerText()).replace(/\s+/g, ' ').trim();
      }
      return false;
    });
  } catch (error) {
    const toasts = await page.locator('.notification-toast').allInnerTexts().catch(() => []);
    notification = `${error.message}; notifications: ${JSON.stringify(toasts)}`;
  }
  await sleep(700); // let the toast finish sliding in
  await screenshot('export-notification');
  result.notification = notification;
  check(
    'export notification shows the summary',
    /kwdocs: exported \d+ files? — \d+ pages? written, \d+ unchanged, \d+ removed, \d+ skipped/.test(notification),
    notification,
  );
  check('export notification offers "Open index"', notification.includes('Open index'), notification);

  // The notification's button opens the root index.md the export reported; the pages lie
  // beside it (wherever the server's settings put them).
  if (!notification.includes('Open index')) return;
  await toast.first().locator('.monaco-button', { hasText: 'Open index' }).click();
  let index = '';
  try {
    index = await waitFor('index.md to open', 15, async () => {
      const title = await page.title();
      return title.endsWith(`${path.sep}index.md`) ? title : false;
    });
  } catch (error) {
    index = `${error.message}; title: ${await page.title().catch(() => '')}`;
  }
  await screenshot('open-index');
  result.index = index;
  check('"Open index" opens index.md', path.isAbsolute(index) && fs.existsSync(index), index);
  if (!path.isAbsolute(index)) return;
  const out = path.dirname(index);
  const page_ = path.join(out, 'pkg', 'shapes.py_docs.md');
  const listing = fs.existsSync(out) ? fs.readdirSync(out, { recursive: true }).sort() : [];
  result.exported = listing;
  check('export wrote the pages', fs.existsSync(page_), listing);
  if (fs.existsSync(page_)) {
    const doc = fs.readFileSync(page_, 'utf8');
    check('the page of shapes.py documents Shape', doc.includes('Shape') && doc.includes(DOCSTRING_SUMMARY), doc.slice(0, 300));
  }
}

const watchdog = setTimeout(async () => {
  result.error = `the driver did not finish within ${TOTAL_SECONDS}s`;
  log(result.error);
  await screenshot('timeout');
  await cleanup();
  finish(3);
}, TOTAL_SECONDS * 1000);

function finish(code) {
  clearTimeout(watchdog);
  result.ok = code === 0 && result.checks.length > 0 && result.checks.every((c) => c.ok);
  result.seconds = Number(elapsed());
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  fs.writeFileSync(path.join(ARTIFACTS, 'result.json'), JSON.stringify(result, null, 2));
  const failed = result.checks.filter((c) => !c.ok).map((c) => c.name);
  log(
    result.ok
      ? `all ${result.checks.length} checks passed`
      : `FAILED: ${result.error ?? ''}${failed.length ? ` failed checks: ${failed.join('; ')}` : ''}`,
  );
  process.exit(result.ok ? 0 : code || 1);
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, async () => {
    result.error = `stopped by ${signal}`;
    await cleanup();
    finish(4);
  });
}

main().then(
  () => finish(0),
  async (error) => {
    result.error = error.stack ?? String(error);
    log(`error: ${result.error}`);
    await cleanup();
    finish(1);
  },
);
