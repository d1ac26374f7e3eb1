// kwdocs VS Code client: chooses a kwdocs server (kwdocs.server.path, an interpreter that has
// kwdocs, or the copy bundled with the extension), starts it, forwards the `kwdocs` settings,
// shows its state in the language status and exposes its commands in the command palette.
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  State,
  TransportKind,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import { chooseServer, isProblem, readBundle, type ChoiceProblem, type ImportStrategy, type ServerChoice } from './choice';
import { ServerCommands, errorText } from './commands';
import { isInside, probePython, pythonsOnPath } from './python';
import { onInterpreterChange, selectedInterpreter } from './pythonExtension';
import { DOCUMENT_SELECTOR, ServerStatus, type StatusParams } from './status';

const SECTION = 'kwdocs';

// Settings the server understands; enable, server.* and trace.* only concern the client.
const SERVER_SETTINGS = [
  'outputDir',
  'include',
  'exclude',
  'definitionTarget',
  'definitionInference',
  'maxFileSize',
] as const;

let extensionPath = '';
let client: LanguageClient | undefined;
let chosen: ServerChoice | undefined;
// Starts, stops and restarts run one after the other: settings events and
// commands can ask for them at the same time.
let lifecycle: Promise<unknown> = Promise.resolve();
let restartTimer: NodeJS.Timeout | undefined;
let output: vscode.LogOutputChannel;
let status: ServerStatus;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  extensionPath = context.extensionPath;
  // vscode-languageclient logs through this channel; a log channel also gets
  // the trace when kwdocs.trace.server is on.
  output = vscode.window.createOutputChannel('kwdocs', { log: true });
  status = new ServerStatus();
  context.subscriptions.push(output, status);

  const commands = new ServerCommands(runningClient, output, () => ({
    server: chosen?.description,
    command: chosen ? [chosen.command, ...chosen.args] : undefined,
  }));
  context.subscriptions.push(
    ...commands.register(),
    vscode.commands.registerCommand('kwdocs.showOutput', () => {
      output.show();
    }),
    vscode.commands.registerCommand('kwdocs.restart', restartClient),
    vscode.workspace.onDidChangeConfiguration((event) => {
      // The other settings reach the running server through
      // workspace/didChangeConfiguration; another server or interpreter needs a new process.
      if (event.affectsConfiguration('kwdocs.server') || event.affectsConfiguration('kwdocs.enable')) {
        scheduleRestart();
      }
    }),
    // Trusted now: the workspace's own settings and the Python extension's interpreter count.
    vscode.workspace.onDidGrantWorkspaceTrust(scheduleRestart),
    {
      dispose: () => {
        clearTimeout(restartTimer);
      },
    },
  );
  // Not awaited: the Python extension may take a while to activate.
  void onInterpreterChange(() => {
    const config = vscode.workspace.getConfiguration(SECTION);
    if (!config.get<string>('server.path') && !config.get<string>('server.pythonPath')) {
      scheduleRestart();
    }
  }, output).then((disposable) => {
    if (disposable) {
      context.subscriptions.push(disposable);
    }
  });

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

function scheduleRestart(): void {
  // Later, not within the event: the client still sends a configuration change to the
  // old server, which fails once it is being stopped. The delay also folds several
  // changes into one restart.
  clearTimeout(restartTimer);
  restartTimer = setTimeout(() => {
    void restartClient();
  }, 300);
}

function enabled(): boolean {
  return vscode.workspace.getConfiguration(SECTION).get<boolean>('enable', true);
}

async function startClient(): Promise<boolean> {
  if (!enabled()) {
    output.info('kwdocs.enable is off: the server is not started');
    status.disabled();
    return false;
  }
  status.starting();
  const choice = await resolveServer();
  if (isProblem(choice)) {
    output.error(`The server cannot start: ${choice.reason}`);
    for (const line of choice.tried) {
      output.info(`  tried ${line}`);
    }
    status.failed(`${choice.reason}.`);
    void reportStartFailure(`kwdocs: the language server could not be started: ${choice.reason}.`, choice.fix);
    return false;
  }
  chosen = choice;
  output.info(`Starting server: ${choice.description}: ${[choice.command, ...choice.args].join(' ')}`);

  const serverOptions: ServerOptions = {
    command: choice.command,
    args: choice.args,
    // The client appends --stdio, which `kwdocs serve` accepts.
    transport: TransportKind.stdio,
    // Not the workspace: nothing in the server's current folder is ever imported.
    options: { cwd: extensionPath },
  };
  // Set once the server answered `initialize`, so that a server that dies on
  // start-up is reported once by us instead of being restarted in a loop.
  let initialized = false;
  const clientOptions: LanguageClientOptions = {
    documentSelector: DOCUMENT_SELECTOR,
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
  newClient.onNotification('kwdocs/status', (params: StatusParams) => {
    status.report(params);
  });
  newClient.onDidChangeState((event) => {
    if (event.newState === State.Stopped && client === newClient) {
      status.stopped();
    }
  });
  client = newClient;
  status.running(choice.description);
  try {
    await newClient.start();
    // start() can resolve although the process exited during initialize (the
    // close handler clears the promise it returns), so look at the state too.
    if (!newClient.isRunning()) {
      throw new Error('the server process exited during start-up, see the kwdocs output');
    }
    initialized = true;
    return true;
  } catch (error) {
    output.error(`The server did not start: ${errorText(error)}`);
    status.failed(`${choice.description}: ${errorText(error)}`);
    void reportStartFailure(
      `kwdocs: the language server did not start (${[choice.command, ...choice.args].join(' ')}): ${errorText(error)}.`,
      'The kwdocs output has its messages.',
    );
    return false;
  }
}

async function stopClient(): Promise<void> {
  const old = client;
  client = undefined;
  chosen = undefined;
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

/** The running client, starting it if an earlier start failed. */
async function runningClient(): Promise<LanguageClient | undefined> {
  if (!enabled()) {
    const open = 'Open Settings';
    const choice = await vscode.window.showWarningMessage('kwdocs is turned off (kwdocs.enable).', open);
    if (choice === open) {
      await vscode.commands.executeCommand('workbench.action.openSettings', 'kwdocs.enable');
    }
    return undefined;
  }
  return serialized(async () => {
    if (client?.isRunning()) {
      return client;
    }
    await stopClient();
    return (await startClient()) ? client : undefined;
  });
}

/** The server's settings as initializationOptions (the server also pulls them). */
function serverSettings(): Record<string, unknown> {
  const config = vscode.workspace.getConfiguration(SECTION);
  return Object.fromEntries(SERVER_SETTINGS.map((key) => [key, config.get(key)]));
}

function resolveServer(): Promise<ServerChoice | ChoiceProblem> {
  const config = vscode.workspace.getConfiguration(SECTION);
  const folders = vscode.workspace.workspaceFolders ?? [];
  const trusted = vscode.workspace.isTrusted;
  // In Restricted Mode nothing inside the workspace is run: VS Code already drops the
  // workspace's own kwdocs.server.* values; interpreters found inside it are left out too.
  const inWorkspace = (file: string): boolean => !trusted && folders.some((folder) => isInside(file, folder.uri.fsPath));
  return chooseServer({
    serverPath: expandPath(config.get<string>('server.path', '')),
    pythonPath: expandPath(config.get<string>('server.pythonPath', '')),
    importStrategy: config.get<ImportStrategy>('server.importStrategy', 'fromEnvironment'),
    pythonExtension: async () => {
      const interpreter = await selectedInterpreter(folders[0]?.uri, output);
      if (interpreter !== undefined && inWorkspace(interpreter)) {
        output.info(`Restricted Mode: the Python extension's ${interpreter} is inside the workspace, not used`);
        return undefined;
      }
      return interpreter;
    },
    pathPythons: () => pythonsOnPath(process.env.PATH ?? '', undefined, inWorkspace),
    bundle: readBundle(extensionPath),
    probe: (command) => probePython(command, extensionPath),
  });
}

async function reportStartFailure(message: string, fix: string): Promise<void> {
  const openSettings = 'Open Settings';
  const showOutput = 'Show Output';
  const choice = await vscode.window.showErrorMessage(`${message} ${fix}`, openSettings, showOutput);
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
