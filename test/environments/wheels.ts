// Tiny Python packages for environment tests, built as real wheels inside the test (with
// Python's zipfile, so no build backend or network is needed) and installed from a local
// folder with --find-links and --no-index: the tests never depend on a package index.

import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';

const BUILD = `
import base64, hashlib, os, sys, zipfile
out, dist, version = sys.argv[1:4]
module = dist.replace("-", "_")
stem = f"{module}-{version}"
files = {
    f"{module}/__init__.py": f"__version__ = {version!r}\\n",
    f"{stem}.dist-info/METADATA": f"Metadata-Version: 2.1\\nName: {dist}\\nVersion: {version}\\n",
    f"{stem}.dist-info/WHEEL": "Wheel-Version: 1.0\\nGenerator: tandem-test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
}
def digest(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
record = "".join(f"{name},{digest(text.encode())},{len(text.encode())}\\n" for name, text in files.items())
files[f"{stem}.dist-info/RECORD"] = record + f"{stem}.dist-info/RECORD,,\\n"
path = os.path.join(out, f"{stem}-py3-none-any.whl")
with zipfile.ZipFile(path, "w") as wheel:
    for name, text in files.items():
        wheel.writestr(name, text)
print(path)
`;

/** Builds `<dist>-<version>` (module `<dist with _>`, whose __version__ is `version`) into `dir`; returns the wheel's path. */
export function buildWheel(dir: string, dist: string, version: string): string {
  mkdirSync(dir, { recursive: true });
  return execFileSync('python3', ['-c', BUILD, dir, dist, version], { encoding: 'utf8' }).trim();
}
