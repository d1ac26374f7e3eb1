// Which kwdocs server to start, and with which Python. Node only, no `vscode` import: the
// editor's part (settings, the Python extension) comes in through ChoiceInputs.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findOnPath, isExecutable, isProbeFailure, type ProbeFailure, type PythonInfo } from './python';

/** bundled/libs/bundle.json, written by build/bundle_python.py. */
export interface BundleManifest {
  target: string;
  pythons: string[];
  abis: string[];
  kwdocs: string;
}

export interface Bundle extends BundleManifest {
  /** bundled/tool/launch.py */
  launcher: string;
}

export function readBundle(extensionPath: string): Bundle | undefined {
  try {
    const manifest = JSON.parse(
      fs.readFileSync(path.join(extensionPath, 'bundled', 'libs', 'bundle.json'), 'utf8'),
    ) as BundleManifest;
    return { ...manifest, launcher: path.join(extensionPath, 'bundled', 'tool', 'launch.py') };
  } catch {
    return undefined;
  }
}

export type ImportStrategy = 'fromEnvironment' | 'useBundled';

/** Where a candidate interpreter came from, for messages. */
export type PythonSource = 'kwdocs.server.pythonPath' | 'the Python extension' | 'PATH';

export interface Candidate {
  command: string;
  source: PythonSource;
}

export interface ChoiceInputs {
  /** kwdocs.server.path, expanded; empty when unset. */
  serverPath: string;
  /** kwdocs.server.pythonPath, expanded; empty when unset. */
  pythonPath: string;
  importStrategy: ImportStrategy;
  /** The Python extension's interpreter for the workspace, if it is there and may be used. */
  pythonExtension: () => Promise<string | undefined>;
  /** Interpreters on PATH, in order of preference. */
  pathPythons: () => string[];
  bundle: Bundle | undefined;
  probe: (command: string) => Promise<PythonInfo | ProbeFailure>;
}

export type ServerKind = 'path' | 'environment' | 'bundled';

export interface ServerChoice {
  kind: ServerKind;
  command: string;
  args: string[];
  /** One line for the log and the status: which kwdocs runs on what. */
  description: string;
  python?: PythonInfo;
}

export interface ChoiceProblem {
  /** What is wrong, one sentence without the final period. */
  reason: string;
  /** What the user can do about it. */
  fix: string;
  /** The interpreters looked at, with what was wrong with each. */
  tried: string[];
}

export function isProblem(value: ServerChoice | ChoiceProblem): value is ChoiceProblem {
  return 'reason' in value;
}

/**
 * kwdocs.server.path; else the interpreter of kwdocs.server.pythonPath or of the Python
 * extension when it has kwdocs (kwdocs.server.importStrategy `fromEnvironment`); else the
 * bundled kwdocs, run by the first of those interpreters or of the Pythons on PATH that the
 * bundle was built for.
 */
export async function chooseServer(inputs: ChoiceInputs): Promise<ServerChoice | ChoiceProblem> {
  if (inputs.serverPath) {
    const executable = path.isAbsolute(inputs.serverPath) ? inputs.serverPath : findOnPath(inputs.serverPath);
    if (executable === undefined || !isExecutable(executable)) {
      return {
        reason: `kwdocs.server.path names ${inputs.serverPath}, which was not found or cannot be run`,
        fix: 'Correct kwdocs.server.path, or clear it to use the kwdocs bundled with the extension.',
        tried: [],
      };
    }
    return {
      kind: 'path',
      command: executable,
      args: ['serve'],
      description: `${executable} (kwdocs.server.path)`,
    };
  }

  const preferred: Candidate[] = [];
  if (inputs.pythonPath) {
    preferred.push({ command: inputs.pythonPath, source: 'kwdocs.server.pythonPath' });
  } else {
    const fromExtension = await inputs.pythonExtension();
    if (fromExtension) {
      preferred.push({ command: fromExtension, source: 'the Python extension' });
    }
  }
  const tried: string[] = [];
  const probed = new Map<string, PythonInfo | ProbeFailure>();
  const probe = async (candidate: Candidate): Promise<PythonInfo | undefined> => {
    let info = probed.get(candidate.command);
    if (info === undefined) {
      info = await inputs.probe(candidate.command);
      probed.set(candidate.command, info);
      tried.push(
        isProbeFailure(info)
          ? `${candidate.command} (${candidate.source}): ${info.error}`
          : `${info.executable} (${candidate.source}): ${info.implementation} ${info.version}` +
              (info.kwdocs ? `, kwdocs ${info.kwdocs.version}` : ', no kwdocs'),
      );
    }
    return isProbeFailure(info) ? undefined : info;
  };

  if (inputs.importStrategy === 'fromEnvironment') {
    for (const candidate of preferred) {
      const info = await probe(candidate);
      if (info?.kwdocs) {
        return {
          kind: 'environment',
          // -I: the current folder (the extension's) and PYTHON* variables stay off sys.path.
          command: info.executable || candidate.command,
          args: ['-I', '-m', 'kwdocs', 'serve'],
          description: `kwdocs ${info.kwdocs.version} of ${info.executable} (${candidate.source})`,
          python: info,
        };
      }
    }
  }

  const bundle = inputs.bundle;
  if (bundle === undefined) {
    return {
      reason: 'this build of the extension carries no bundled kwdocs and no interpreter with kwdocs was found',
      fix: 'Set kwdocs.server.path to a kwdocs executable, or kwdocs.server.pythonPath to a Python that has kwdocs.',
      tried,
    };
  }
  // An explicit kwdocs.server.pythonPath is the only interpreter considered: the user chose it.
  const candidates = inputs.pythonPath
    ? preferred
    : [...preferred, ...inputs.pathPythons().map((command): Candidate => ({ command, source: 'PATH' }))];
  for (const candidate of candidates) {
    const info = await probe(candidate);
    if (info && info.implementation === 'cpython' && bundle.abis.includes(info.abi)) {
      return {
        kind: 'bundled',
        // -I: isolated (no PYTHON* variables, no user site, no current folder on sys.path);
        // -S: no site-packages either: everything comes from the bundle and the standard library.
        command: info.executable || candidate.command,
        args: ['-I', '-S', bundle.launcher, 'serve'],
        description: `bundled kwdocs ${bundle.kwdocs} on Python ${info.version} (${info.executable}, ${candidate.source})`,
        python: info,
      };
    }
  }
  const versions = `CPython ${bundle.pythons[0]}–${bundle.pythons[bundle.pythons.length - 1]}`;
  return {
    reason: inputs.pythonPath
      ? `kwdocs.server.pythonPath (${inputs.pythonPath}) is not a ${versions} that can run the bundled kwdocs`
      : `no ${versions} was found to run the bundled kwdocs`,
    fix:
      `Install ${versions} (python.org, your package manager), select it in the Python extension, ` +
      'or set kwdocs.server.pythonPath to it.',
    tried,
  };
}
