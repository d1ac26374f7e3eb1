// Bundles the extension and vscode-languageclient into one CommonJS file, so the
// .vsix ships no node_modules (vsce runs with --no-dependencies).
import * as esbuild from 'esbuild';

const production = process.argv.includes('--production');

await esbuild.build({
  entryPoints: ['src/extension.ts'],
  bundle: true,
  outfile: 'dist/extension.js',
  format: 'cjs',
  platform: 'node',
  // VS Code 1.90 runs extensions on Node 18.
  target: 'node18',
  // Provided by the editor at run time.
  external: ['vscode'],
  minify: production,
  sourcemap: production ? false : 'linked',
  logLevel: 'info',
});
