// The kwdocs entry of the language status ({} in the status bar), shown for the file types
// the server serves: which server runs, its indexing progress, its keyword count or why it
// does not run.
import * as vscode from 'vscode';

// Plain objects: both vscode's and vscode-languageclient's selector types accept them.
export const DOCUMENT_SELECTOR: { scheme: string; language: string }[] = [
  { scheme: 'file', language: 'python' },
  { scheme: 'file', language: 'markdown' },
  // The languages the server reads with tree-sitter, by VS Code's ids (CUDA is cuda-cpp,
  // shell scripts shellscript; cmake comes with a CMake extension).
  { scheme: 'file', language: 'c' },
  { scheme: 'file', language: 'cpp' },
  { scheme: 'file', language: 'cuda-cpp' },
  { scheme: 'file', language: 'yaml' },
  { scheme: 'file', language: 'cmake' },
  { scheme: 'file', language: 'shellscript' },
];

/** The server's `kwdocs/status` notification. */
export interface StatusParams {
  state: 'indexing' | 'ready' | 'error';
  files: number;
  total: number;
  keywords: number;
  message?: string;
}

const SHOW_OUTPUT: vscode.Command = { title: 'Show Output', command: 'kwdocs.showOutput' };

export class ServerStatus implements vscode.Disposable {
  private readonly item: vscode.LanguageStatusItem;
  /** Which server runs, shown under every running state. */
  private server = '';

  constructor() {
    this.item = vscode.languages.createLanguageStatusItem('kwdocs.status', DOCUMENT_SELECTOR);
    this.item.name = 'kwdocs';
    this.item.command = SHOW_OUTPUT;
  }

  dispose(): void {
    this.item.dispose();
  }

  starting(): void {
    this.set('kwdocs: starting', 'Choosing and starting the kwdocs server', { busy: true });
  }

  running(server: string): void {
    this.server = server;
    this.set('kwdocs', server);
  }

  report(params: StatusParams): void {
    switch (params.state) {
      case 'indexing':
        this.set(`kwdocs: indexing ${params.files}/${params.total}`, `${params.keywords} keywords so far · ${this.server}`, {
          busy: true,
        });
        break;
      case 'ready':
        this.set(`kwdocs: ${params.keywords} keywords`, `${plural(params.files, 'file')} · ${this.server}`);
        break;
      case 'error':
        this.set('kwdocs: indexing failed', params.message ?? 'see the kwdocs output', {
          severity: vscode.LanguageStatusSeverity.Error,
        });
        break;
    }
  }

  failed(reason: string): void {
    this.set('kwdocs: not running', reason, { severity: vscode.LanguageStatusSeverity.Error });
  }

  stopped(): void {
    this.set('kwdocs: stopped', 'The kwdocs server is not running', {
      severity: vscode.LanguageStatusSeverity.Warning,
    });
  }

  disabled(): void {
    this.set('kwdocs: disabled', 'kwdocs.enable is off', {
      command: { title: 'Open Settings', command: 'workbench.action.openSettings', arguments: ['kwdocs.enable'] },
    });
  }

  private set(
    text: string,
    detail: string,
    options: { busy?: boolean; severity?: vscode.LanguageStatusSeverity; command?: vscode.Command } = {},
  ): void {
    this.item.text = text;
    this.item.detail = detail;
    this.item.busy = options.busy ?? false;
    this.item.severity = options.severity ?? vscode.LanguageStatusSeverity.Information;
    this.item.command = options.command ?? SHOW_OUTPUT;
  }
}

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
