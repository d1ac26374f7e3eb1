// Python interpreters: what one is (version, ABI, whether it has kwdocs) and which ones are on
// PATH. Node only, no `vscode` import, so that it runs outside the editor too.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** What `python -I -c PROBE` says about itself. */
export interface PythonInfo {
  /** The command the probe ran (as configured or found). */
  command: string;
  /** sys.executable. */
  executable: string;
  /** `3.11.7`. */
  version: string;
  major: number;
  minor: number;
  /** sys.implementation.name: `cpython`, `pypy`. */
  implementation: string;
  /** `cp311`; `cp313t` for a free-threaded build: the bundled wheels' ABI tag. */
  abi: string;
  /** The kwdocs this interpreter imports, if any. */
  kwdocs?: { version: string; location: string };
}

export interface ProbeFailure {
  command: string;
  error: string;
}

export function isProbeFailure(value: PythonInfo | ProbeFailure): value is ProbeFailure {
  return 'error' in value;
}

// Runs under -I (so neither the current folder nor PYTHON* variables reach sys.path) and
// parses on any Python 3, so that an old interpreter still reports its version. kwdocs is
// imported only when it is found: its __init__ holds the version and imports nothing else.
const PROBE = `
import importlib.util, json, sys
info = {
    "executable": sys.executable,
    "version": sys.version.split()[0],
    "major": sys.version_info[0],
    "minor": sys.version_info[1],
    "implementation": sys.implementation.name,
    "abi": "cp%d%d%s" % (sys.version_info[0], sys.version_info[1], getattr(sys, "abiflags", "")),
}
try:
    found = importlib.util.find_spec("kwdocs") is not None
except Exception:
    found = False
if found:
    try:
        import kwdocs
        info["kwdocs"] = {"version": kwdocs.__version__, "location": kwdocs.__file__}
    except Exception:
        pass
print(json.dumps(info))
`;

/** Asks `command` what it is. `cwd` should be a folder whose files are never imported. */
export function probePython(command: string, cwd: string, timeoutMs = 20_000): Promise<PythonInfo | ProbeFailure> {
  return new Promise((resolve) => {
    execFile(command, ['-I', '-c', PROBE], { cwd, timeout: timeoutMs, windowsHide: true }, (error, stdout, stderr) => {
      if (error !== null) {
        const lines = stderr.trim().split('\n');
        resolve({ command, error: lines[lines.length - 1] || error.message });
        return;
      }
      try {
        const info = JSON.parse(stdout.trim().split('\n').pop() ?? '') as Omit<PythonInfo, 'command'>;
        resolve({ command, ...info });
      } catch {
        resolve({ command, error: `unexpected answer: ${stdout.slice(0, 200)}` });
      }
    });
  });
}

/** Interpreter names tried on PATH, newest first after the generic ones. */
export function pythonNames(platform: NodeJS.Platform = process.platform): string[] {
  const versions = ['3.14', '3.13', '3.12', '3.11', '3.10'];
  if (platform === 'win32') {
    return ['python', 'python3'];
  }
  return ['python3', ...versions.map((version) => `python${version}`), 'python'];
}

/**
 * The interpreters of `names` found on `searchPath`, each once (by real path), in PATH order
 * per name. Relative PATH entries are skipped: they would be resolved against whatever the
 * current folder is. `skip` leaves out folders, e.g. those of an untrusted workspace.
 */
export function pythonsOnPath(
  searchPath: string,
  names: string[] = pythonNames(),
  skip: (dir: string) => boolean = () => false,
): string[] {
  const found: string[] = [];
  const seen = new Set<string>();
  const dirs = searchPath.split(path.delimiter).filter((dir) => dir && path.isAbsolute(dir) && !skip(dir));
  const extensions = process.platform === 'win32' ? ['.exe'] : [''];
  for (const name of names) {
    for (const dir of dirs) {
      for (const extension of extensions) {
        const candidate = path.join(dir, name + extension);
        if (!isExecutable(candidate)) {
          continue;
        }
        let real = candidate;
        try {
          real = fs.realpathSync(candidate);
        } catch {
          // A dangling link is not executable; isExecutable said it is, so keep the name.
        }
        if (!seen.has(real)) {
          seen.add(real);
          found.push(candidate);
        }
      }
    }
  }
  return found;
}

export function findOnPath(name: string, searchPath = process.env.PATH ?? ''): string | undefined {
  const extensions = process.platform === 'win32' ? (process.env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir || !path.isAbsolute(dir)) {
      continue;
    }
    for (const extension of extensions) {
      const candidate = path.join(dir, name + extension);
      if (isExecutable(candidate)) {
        return candidate;
      }
    }
  }
  return undefined;
}

export function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Whether `file` lies inside `folder` (or is it). */
export function isInside(file: string, folder: string): boolean {
  const relative = path.relative(folder, file);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}
