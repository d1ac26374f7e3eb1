// The interpreter the Python extension (ms-python.python) selected for the workspace, through
// its API (@vscode/python-extension), when that extension is installed.
import { PythonExtension } from '@vscode/python-extension';
import * as vscode from 'vscode';

// Activating the Python extension can take a while on a first start; kwdocs does not wait
// longer than this for it and goes on without.
const API_TIMEOUT_MS = 15_000;

let api: Promise<PythonExtension | undefined> | undefined;

function pythonApi(log: vscode.LogOutputChannel): Promise<PythonExtension | undefined> {
  if (vscode.extensions.getExtension('ms-python.python') === undefined) {
    return Promise.resolve(undefined);
  }
  api ??= Promise.race([
    PythonExtension.api(),
    new Promise<undefined>((resolve) =>
      setTimeout(() => {
        resolve(undefined);
      }, API_TIMEOUT_MS),
    ),
  ]).catch((error: unknown) => {
    log.warn(`The Python extension's API is not available: ${String(error)}`);
    return undefined;
  });
  return api;
}

/** The selected interpreter's executable for `resource`, if the Python extension knows one. */
export async function selectedInterpreter(
  resource: vscode.Uri | undefined,
  log: vscode.LogOutputChannel,
): Promise<string | undefined> {
  const python = await pythonApi(log);
  if (python === undefined) {
    return undefined;
  }
  try {
    const environment = await python.environments.resolveEnvironment(
      python.environments.getActiveEnvironmentPath(resource),
    );
    return environment?.executable.uri?.fsPath;
  } catch (error) {
    log.warn(`The Python extension did not resolve its interpreter: ${String(error)}`);
    return undefined;
  }
}

/** Calls `listener` when the user selects another interpreter. */
export async function onInterpreterChange(
  listener: () => void,
  log: vscode.LogOutputChannel,
): Promise<vscode.Disposable | undefined> {
  const python = await pythonApi(log);
  return python?.environments.onDidChangeActiveEnvironmentPath(() => {
    listener();
  });
}
