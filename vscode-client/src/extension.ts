// kwdocs VS Code client: starts the kwdocs language server, forwards the
// `kwdocs` settings, shows indexing progress in the status bar and exposes the
// server's export commands in the command palette.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  CloseAction,
  ErrorAction,
  ExecuteCommandRequest,
  LanguageClient,
  State,
  TransportKind,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';

const SECTION = 'kwdocs';

// Settings the server understands; server.* and trace.* only concern the client.
const SERVER_SETTINGS = [
  'outputDir',
  'include',
  'exclude',
  'definitionTarget',
  'definitionInference',
  'maxFileSize',
] as const;

interface ExportedFolder {
  root: string;
  out: string;
  index: string;
  files: number;
  written: number;
  unchanged: number;
  removed: number;
  skipped: { path: string; reason: string }[];
  seconds: number;
}
interface ExportAllResult {
  folders: ExportedFolder[];
  seconds: number;
}
interface ExportFileResult {
  root: string;
  out: string;
  written: number;
  unchanged: number;
  pages: string[];
  seconds: number;
}
interface ReindexResult {
  files: number;
  keywords: number;
  seconds: number;
}
interface StatusParams {
  state: 'indexing' | 'ready' | 'error';
  files: number;
  total: number;
  keywords: number;
  message?: string;
}

interface ServerCommand {
  command: string;
  args: string[];
  // Human-readable form for log lines and error messages.
  display: string;
}

let client: LanguageClient | undefined;
// Starts, stops and restarts run one after the other: settings events and
// commands can ask for them at the same time.
let lifecycle: Promise<unknown> = Promise.resolve();
let restartTimer: NodeJS.Timeout | undefined;
let output: vscode.LogOutputChannel;
let status: vscode.StatusBarItem;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  // vscode-languageclient logs through this channel; a log channel also gets
  // the trace when kwdocs.trace.server is on.
  output = vscode.window.createOutputChannel('kwdocs', { log: true });
  status = vscode.window.createStatusBarItem('kwdocs.status', vscode.StatusBarAlignment.Left, 0);
  status.name = 'kwdocs';
  status.command = 'kwdocs.showOutput';
  context.subscriptions.push(output, status);

  context.subscriptions.push(
    vscode.commands.registerCommand('kwdocs.export', exportAll),
    vscode.commands.registerCommand('kwdocs.exportFile', exportFile),
    vscode.commands.registerCommand('kwdocs.reindex', reindex),
    vscode.commands.registerCommand('kwdocs.debugInfo', debugInfo),
    vscode.commands.registerCommand('kwdocs.showOutput', () => {
      output.show();
    }),
    vscode.commands.registerCommand('kwdocs.restart', restartClient),
    vscode.workspace.onDidChangeConfiguration((event) => {
      // The other settings reach the running server through
      // workspace/didChangeConfiguration; a different executable needs a new process.
      if (event.affectsConfiguration('kwdocs.server')) {
        // Later, not within this event: the client still sends the change to the
        // old server, which fails once it is being stopped. The delay also
        // folds several changes into one restart.
        clearTimeout(restartTimer);
        restartTimer = setTimeout(() => {
          void restartClient();
        }, 300);
      }
    }),
    {
      dispose: () => {
        clearTimeout(restartTimer);
      },
    },
  );

  await serialized(startClient);
}

export async function deactivate(): Promise<void> {
  await serialized(stopClient);
}

function serialized<T>(step: () => Promise<T>): Promise<T> {
  const next = lifecycle.then(step, step);
  lifecycle = next.catch(() => undefined);
  return next;
}

async function startClient(): Promise<boolean> {
  setStatus('$(sync~spin) kwdocs', 'Starting the kwdocs server');
  const server = await resolveServerCommand();
  if (server === undefined) {
    return false;
  }
  output.info(`Starting server: ${server.display}`);

  const serverOptions: ServerOptions = {
    command: server.command,
    args: server.args,
    // The client appends --stdio, which `kwdocs serve` accepts.
    transport: TransportKind.stdio,
  };
  // Set once the server answered `initialize`, so that a server that dies on
  // start-up is reported once by us instead of being restarted in a loop.
  let initialized = false;
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'python' },
      { scheme: 'file', language: 'markdown' },
    ],
    outputChannel: output,
    // A function, so that a restart sends the settings as they are now.
    initializationOptions: () => serverSettings(),
    synchronize: { configurationSection: SECTION },
    initializationFailedHandler: () => false,
    errorHandler: {
      error: () => ({ action: ErrorAction.Continue }),
      closed: () => {
        if (!initialized) {
          return { action: CloseAction.DoNotRestart, handled: true };
        }
        return defaultCloseHandler.closed();
      },
    },
  };

  const newClient = new LanguageClient(SECTION, 'kwdocs', serverOptions, clientOptions);
  const defaultCloseHandler = newClient.createDefaultErrorHandler(4);
  // An object, since the handler sets it and TypeScript does not see that.
  const seen = { status: false };
  newClient.onNotification('kwdocs/status', (params: StatusParams) => {
    seen.status = true;
    showServerStatus(params);
  });
  newClient.onDidChangeState((event) => {
    if (event.newState === State.Stopped) {
      setStatus('$(circle-slash) kwdocs', 'The kwdocs server is not running — click for its output', true);
    }
  });
  client = newClient;
  try {
    await newClient.start();
    // start() can resolve although the process exited during initialize (the
    // close handler clears the promise it returns), so look at the state too.
    if (!newClient.isRunning()) {
      throw new Error('the server process exited during start-up, see the kwdocs output');
    }
    initialized = true;
    if (!seen.status) {
      // The server reports its indexing through kwdocs/status; until then it runs.
      setStatus('$(book) kwdocs', 'The kwdocs server is running — click for its output');
    }
    return true;
  } catch (error) {
    output.error(`The server did not start: ${errorText(error)}`);
    setStatus('$(error) kwdocs', 'The kwdocs server did not start — click for its output', true);
    void reportStartFailure(
      `kwdocs: the language server did not start (${server.display}): ${errorText(error)}.`,
    );
    return false;
  }
}

async function stopClient(): Promise<void> {
  const old = client;
  client = undefined;
  if (old === undefined) {
    return;
  }
  try {
    // dispose() stops the server process and unregisters the server's commands,
    // so that a new client can register them again.
    await old.dispose();
  } catch (error) {
    output.warn(`Stopping the server failed: ${errorText(error)}`);
  }
}

async function restartClient(): Promise<void> {
  await serialized(async () => {
    await stopClient();
    await startClient();
  });
}

/** The server's settings as initializationOptions (the server also pulls them). */
function serverSettings(): Record<string, unknown> {
  const config = vscode.workspace.getConfiguration(SECTION);
  return Object.fromEntries(SERVER_SETTINGS.map((key) => [key, config.get(key)]));
}

/**
 * kwdocs.server.path, else kwdocs.server.pythonPath -m kwdocs, else `kwdocs`
 * on PATH, else `python3 -m kwdocs`. Checks that the executable exists so
 * that the common mistake gets one clear message.
 */
async function resolveServerCommand(): Promise<ServerCommand | undefined> {
  const config = vscode.workspace.getConfiguration(SECTION);
  const serverPath = expandPath(config.get<string>('server.path', ''));
  const pythonPath = expandPath(config.get<string>('server.pythonPath', ''));
  let command: ServerCommand;
  if (serverPath) {
    command = { command: serverPath, args: ['serve'], display: `${serverPath} serve` };
  } else if (pythonPath) {
    command = {
      command: pythonPath,
      args: ['-m', 'kwdocs', 'serve'],
      display: `${pythonPath} -m kwdocs serve`,
    };
  } else {
    const onPath = findOnPath('kwdocs');
    command = onPath
      ? { command: onPath, args: ['serve'], display: `${onPath} serve` }
      : { command: 'python3', args: ['-m', 'kwdocs', 'serve'], display: 'python3 -m kwdocs serve' };
  }
  const executable = path.isAbsolute(command.command) ? command.command : findOnPath(command.command);
  if (executable === undefined || !isExecutable(executable)) {
    const reason = `the language server could not be started: ${command.command} was not found`;
    output.error(reason);
    setStatus('$(error) kwdocs', `kwdocs: ${reason}`, true);
    void reportStartFailure(`kwdocs: ${reason}.`);
    return undefined;
  }
  if (command.args[0] === '-m') {
    // The usual mistake is an interpreter without kwdocs: say so in one message
    // rather than as a failed connection.
    const problem = await importProblem(command.command);
    if (problem !== undefined) {
      const reason = `${command.command} cannot import kwdocs (${problem})`;
      output.error(reason);
      setStatus('$(error) kwdocs', `kwdocs: ${reason}`, true);
      void reportStartFailure(`kwdocs: the language server could not be started: ${reason}.`);
      return undefined;
    }
  }
  return command;
}

/** Why `python -c 'import kwdocs'` fails, or undefined if it works. */
function importProblem(python: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(python, ['-c', 'import kwdocs'], { timeout: 20_000 }, (error, _stdout, stderr) => {
      if (error === null) {
        resolve(undefined);
      } else {
        const lines = stderr.trim().split('\n');
        resolve(lines[lines.length - 1] || error.message);
      }
    });
  });
}

async function reportStartFailure(message: string): Promise<void> {
  const openSettings = 'Open Settings';
  const showOutput = 'Show Output';
  const choice = await vscode.window.showErrorMessage(
    `${message} Install kwdocs with \`pip install kwdocs\`, or set kwdocs.server.path to the kwdocs ` +
      'executable or kwdocs.server.pythonPath to a Python interpreter that has kwdocs installed.',
    openSettings,
    showOutput,
  );
  if (choice === openSettings) {
    await vscode.commands.executeCommand('workbench.action.openSettings', 'kwdocs.server');
  } else if (choice === showOutput) {
    output.show();
  }
}

/**
 * Supports `~`, `${workspaceFolder}` and paths relative to the (first) workspace
 * folder, so that a setting can name a project's virtual environment.
 */
function expandPath(value: string): string {
  let result = value.trim();
  if (!result) {
    return result;
  }
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (folder !== undefined) {
    result = result.replace(/\$\{workspaceFolder\}/g, folder);
  }
  if (result === '~' || result.startsWith('~/')) {
    result = path.join(os.homedir(), result.slice(1));
  }
  // A bare name (`python3.12`) is looked up on PATH; `.venv/bin/python` is a path.
  if (folder !== undefined && !path.isAbsolute(result) && /[\\/]/.test(result)) {
    result = path.resolve(folder, result);
  }
  return result;
}

function findOnPath(name: string): string | undefined {
  const extensions = process.platform === 'win32' ? (process.env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    for (const extension of extensions) {
      const candidate = path.join(dir, name + extension);
      if (dir && isExecutable(candidate)) {
        return candidate;
      }
    }
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function setStatus(text: string, tooltip: string, problem = false): void {
  status.text = text;
  status.tooltip = tooltip;
  status.backgroundColor = problem ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
  status.show();
}

function showServerStatus(params: StatusParams): void {
  switch (params.state) {
    case 'indexing':
      setStatus(
        `$(sync~spin) kwdocs ${params.files}/${params.total}`,
        `kwdocs: indexing ${params.files} of ${params.total} files, ${params.keywords} keywords so far`,
      );
      break;
    case 'ready':
      setStatus(
        `$(book) kwdocs: ${params.keywords} keywords`,
        `kwdocs: ${params.keywords} keywords in ${params.files} files — click for the server output`,
      );
      break;
    case 'error':
      setStatus('$(error) kwdocs', `kwdocs: ${params.message ?? 'indexing failed'} — click for the server output`, true);
      break;
  }
}

/** The running client, starting it if an earlier start failed. */
async function runningClient(): Promise<LanguageClient | undefined> {
  return serialized(async () => {
    if (client?.isRunning()) {
      return client;
    }
    await stopClient();
    return (await startClient()) ? client : undefined;
  });
}

async function serverCommand<T>(title: string, command: string, args: unknown[] = []): Promise<T | undefined> {
  const running = await runningClient();
  if (running === undefined) {
    return undefined;
  }
  try {
    // In the status bar: most runs take well under a second, and a notification
    // would flash; the server's own work-done progress shows the details.
    return await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title },
      () => running.sendRequest(ExecuteCommandRequest.type, { command, arguments: args }) as Promise<T>,
    );
  } catch (error) {
    output.error(`${command} failed: ${errorText(error)}`);
    void vscode.window
      .showErrorMessage(`kwdocs: ${command} failed: ${errorText(error)}`, 'Show Output')
      .then((choice) => {
        if (choice) {
          output.show();
        }
      });
    return undefined;
  }
}

async function exportAll(): Promise<void> {
  const result = await serverCommand<ExportAllResult>(
    'kwdocs: exporting documentation pages…',
    'kwdocs.server.exportAll',
  );
  if (!result || !Array.isArray(result.folders)) {
    return;
  }
  const sum = (pick: (folder: ExportedFolder) => number): number =>
    result.folders.reduce((total, folder) => total + pick(folder), 0);
  for (const folder of result.folders) {
    output.info(
      `Exported ${folder.root} to ${folder.out}: ${folder.files} files, ${folder.written} written, ` +
        `${folder.unchanged} unchanged, ${folder.removed} removed`,
    );
    for (const skipped of folder.skipped) {
      output.warn(`Skipped ${skipped.path}: ${skipped.reason}`);
    }
  }
  const skipped = sum((folder) => folder.skipped.length);
  const message =
    `kwdocs: exported ${plural(sum((f) => f.files), 'file')} — ${plural(sum((f) => f.written), 'page')} written, ` +
    `${sum((f) => f.unchanged)} unchanged, ${sum((f) => f.removed)} removed, ${skipped} skipped ` +
    `(${result.seconds.toFixed(1)} s)`;
  const openIndex = 'Open index';
  const buttons = result.folders.length > 0 ? [openIndex] : [];
  if (skipped > 0) {
    buttons.push('Show skipped');
  }
  const choice = await vscode.window.showInformationMessage(message, ...buttons);
  if (choice === openIndex) {
    await openIndexPage(result.folders);
  } else if (choice === 'Show skipped') {
    output.show();
  }
}

async function openIndexPage(folders: ExportedFolder[]): Promise<void> {
  let index: string | undefined = folders[0]?.index;
  if (folders.length > 1) {
    // Each workspace folder has its own root index.md.
    const picked = await vscode.window.showQuickPick(
      folders.map((folder) => ({ label: path.basename(folder.root), description: folder.out, index: folder.index })),
      { placeHolder: 'Open the index of which folder?' },
    );
    index = picked?.index;
  }
  if (index) {
    await vscode.window.showTextDocument(vscode.Uri.parse(index));
  }
}

async function exportFile(resource?: vscode.Uri): Promise<void> {
  const uri = resource instanceof vscode.Uri ? resource : vscode.window.activeTextEditor?.document.uri;
  if (uri === undefined || uri.scheme !== 'file') {
    void vscode.window.showWarningMessage('kwdocs: open a file of the workspace to export its pages.');
    return;
  }
  const result = await serverCommand<ExportFileResult>(
    `kwdocs: exporting the pages of ${path.basename(uri.fsPath)}…`,
    'kwdocs.server.exportFile',
    [uri.toString()],
  );
  if (!result || !Array.isArray(result.pages)) {
    return;
  }
  const openPage = 'Open page';
  const choice = await vscode.window.showInformationMessage(
    `kwdocs: exported the pages of ${path.basename(uri.fsPath)} — ${result.written} written, ` +
      `${result.unchanged} unchanged (${result.seconds.toFixed(1)} s)`,
    ...(result.pages.length > 0 ? [openPage] : []),
  );
  if (choice === openPage) {
    await vscode.window.showTextDocument(vscode.Uri.parse(result.pages[0]));
  }
}

async function reindex(): Promise<void> {
  const result = await serverCommand<ReindexResult>('kwdocs: re-indexing the workspace…', 'kwdocs.server.reindex');
  if (result) {
    void vscode.window.showInformationMessage(
      `kwdocs: indexed ${plural(result.files, 'file')}, ${plural(result.keywords, 'keyword')} ` +
        `(${result.seconds.toFixed(1)} s)`,
    );
  }
}

async function debugInfo(): Promise<void> {
  const result = await serverCommand<unknown>('kwdocs: collecting debug information…', 'kwdocs.server.debugInfo');
  if (result !== undefined) {
    const document = await vscode.workspace.openTextDocument({
      language: 'json',
      content: JSON.stringify(result, null, 2),
    });
    await vscode.window.showTextDocument(document);
  }
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
