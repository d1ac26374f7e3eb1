// Builds the platform-specific .vsix: kwdocs and its Python dependencies into bundled/libs
// (build/bundle_python.py), then `vsce package --target`, which runs vscode:prepublish (the
// esbuild bundle) first.
//
// vsce scans every packaged file for secrets, which takes minutes over the ~6,600 files of
// the bundled Python packages (third-party wheels from the package index). This script runs
// the same scan (vsce's own rules) on the extension's own files and on kwdocs's, and tells vsce
// to skip its scan.
//
//   node build/package.mjs [--target linux-x64]
//
// Environment: KWDOCS_VSIX_TARGET (default: this machine's target), KWDOCS_BUNDLE_PYTHON (the
// Python that runs the bundler, with pip and packaging; default python3). Prints the path of
// the .vsix, kwdocs-<target>-<version>.vsix.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const client = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

function hostTarget() {
  const system = { linux: 'linux', darwin: 'darwin', win32: 'win32' }[process.platform];
  const arch = { x64: 'x64', arm64: 'arm64' }[process.arch];
  if (!system || !arch) {
    throw new Error(`no VS Code target for ${process.platform} ${process.arch}: pass --target`);
  }
  return `${system}-${arch}`;
}

function run(command, args) {
  // Their output goes to stderr: stdout carries only the path of the .vsix.
  const result = spawnSync(command, args, { cwd: client, stdio: ['ignore', 2, 2] });
  if (result.status !== 0) {
    process.stderr.write(`package: ${command} ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`})\n`);
    process.exit(1);
  }
}

/** vsce's secret and .env scan over the files this repository writes. */
async function scanOwnFiles() {
  const own = ['package.json', 'README.md', 'LICENSE', 'bundled/tool/launch.py', 'dist/extension.js'];
  const files = [];
  const walk = (entry) => {
    const full = path.join(client, entry);
    if (fs.statSync(full).isDirectory()) {
      for (const child of fs.readdirSync(full)) walk(path.join(entry, child));
    } else if (!entry.includes('__pycache__')) {
      files.push(full);
    }
  };
  for (const entry of [...own, 'bundled/libs/kwdocs']) walk(entry);
  const { lintFiles, prettyPrintLintResult } = createRequire(import.meta.url)('@vscode/vsce/out/secretLint.js');
  const result = await lintFiles(files, true, true);
  if (!result.ok) {
    process.stderr.write(`package: secrets or .env files found:\n${result.results.map(prettyPrintLintResult).join('\n')}\n`);
    process.exit(1);
  }
}

const flag = process.argv.indexOf('--target');
const target = (flag > 0 ? process.argv[flag + 1] : undefined) ?? process.env.KWDOCS_VSIX_TARGET ?? hostTarget();
const python = process.env.KWDOCS_BUNDLE_PYTHON || 'python3';
const { version } = JSON.parse(fs.readFileSync(path.join(client, 'package.json'), 'utf8'));
const vsix = path.join(client, `kwdocs-${target}-${version}.vsix`);

run(python, [path.join('build', 'bundle_python.py'), '--target', target]);
// The bundle vsce's prepublish builds again (a second): scanned here first.
run(process.execPath, ['esbuild.mjs', '--production']);
await scanOwnFiles();
fs.rmSync(vsix, { force: true });
run(path.join(client, 'node_modules', '.bin', 'vsce'), [
  'package',
  '--no-dependencies',
  '--allow-missing-repository',
  '--no-rewrite-relative-links',
  '--allow-package-all-secrets',
  '--allow-package-env-file',
  '--target',
  target,
  '--out',
  vsix,
]);
process.stdout.write(`${vsix}\n`);
