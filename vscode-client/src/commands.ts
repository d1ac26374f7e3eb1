// The palette commands that run the server's workspace/executeCommand commands and show
// their results.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ExecuteCommandRequest, type LanguageClient } from 'vscode-languageclient/node';
import { plural } from './status';

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

export class ServerCommands {
  constructor(
    /** The running client, started if need be; undefined when it cannot run (it said why). */
    private readonly runningClient: () => Promise<LanguageClient | undefined>,
    private readonly output: vscode.LogOutputChannel,
    /** What the extension knows of the server it started, put first in the debug report. */
    private readonly about: () => Record<string, unknown>,
  ) {}

  register(): vscode.Disposable[] {
    return [
      vscode.commands.registerCommand('kwdocs.export', () => this.exportAll()),
      vscode.commands.registerCommand('kwdocs.exportFile', (resource?: vscode.Uri) => this.exportFile(resource)),
      vscode.commands.registerCommand('kwdocs.reindex', () => this.reindex()),
      vscode.commands.registerCommand('kwdocs.debugInfo', () => this.debugInfo()),
    ];
  }

  private async run<T>(title: string, command: string, args: unknown[] = []): Promise<T | undefined> {
    const running = await this.runningClient();
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
      this.output.error(`${command} failed: ${errorText(error)}`);
      void vscode.window
        .showErrorMessage(`kwdocs: ${command} failed: ${errorText(error)}`, 'Show Output')
        .then((choice) => {
          if (choice) {
            this.output.show();
          }
        });
      return undefined;
    }
  }

  private async exportAll(): Promise<void> {
    const result = await this.run<ExportAllResult>('kwdocs: exporting documentation pages…', 'kwdocs.server.exportAll');
    if (!result || !Array.isArray(result.folders)) {
      return;
    }
    const sum = (pick: (folder: ExportedFolder) => number): number =>
      result.folders.reduce((total, folder) => total + pick(folder), 0);
    for (const folder of result.folders) {
      this.output.info(
        `Exported ${folder.root} to ${folder.out}: ${folder.files} files, ${folder.written} written, ` +
          `${folder.unchanged} unchanged, ${folder.removed} removed`,
      );
      for (const skipped of folder.skipped) {
        this.output.warn(`Skipped ${skipped.path}: ${skipped.reason}`);
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
      this.output.show();
    }
  }

  private async exportFile(resource?: vscode.Uri): Promise<void> {
    const uri = resource instanceof vscode.Uri ? resource : vscode.window.activeTextEditor?.document.uri;
    if (uri === undefined || uri.scheme !== 'file') {
      void vscode.window.showWarningMessage('kwdocs: open a file of the workspace to export its pages.');
      return;
    }
    const result = await this.run<ExportFileResult>(
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

  private async reindex(): Promise<void> {
    const result = await this.run<ReindexResult>('kwdocs: re-indexing the workspace…', 'kwdocs.server.reindex');
    if (result) {
      void vscode.window.showInformationMessage(
        `kwdocs: indexed ${plural(result.files, 'file')}, ${plural(result.keywords, 'keyword')} ` +
          `(${result.seconds.toFixed(1)} s)`,
      );
    }
  }

  private async debugInfo(): Promise<void> {
    const result = await this.run<unknown>('kwdocs: collecting debug information…', 'kwdocs.server.debugInfo');
    if (result !== undefined) {
      const document = await vscode.workspace.openTextDocument({
        language: 'json',
        content: JSON.stringify({ extension: this.about(), ...(result as Record<string, unknown>) }, null, 2),
      });
      await vscode.window.showTextDocument(document);
    }
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

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
