"""Cache keys and the own-code refresh for packaging/ci.sh (run with the checkout's Python).

    python packaging/buildkey.py base        # key of what a full PyInstaller build depends on
    python packaging/buildkey.py source      # key of our own code and resources
    python packaging/buildkey.py refresh DIR # put the checkout's own code into the bundle DIR

The base key covers constraints.txt, pyproject.toml, everything in packaging/
that shapes the bundle, the Python version, and the set of third-party modules
our code imports: a new third-party import needs a new Analysis, so it changes
the key. Our own packages are collected as .pyc files beside the
libraries (``module_collection_mode`` in the spec), so a change to our code
alone only recompiles them into the cached bundle: the same files a full build
would write.
"""

from __future__ import annotations

import ast
import hashlib
import py_compile
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OWN = ("audio_engine", "studio", "sync")
BASE_FILES = ["constraints.txt", "pyproject.toml", "LICENSE", "packaging/mashups.spec", "packaging/bundle_rules.py",
              "packaging/launcher.py", "packaging/buildkey.py"]
GENERATED = {"THIRD-PARTY-NOTICES.txt", "LICENSE.txt", "build.json"}


def _tracked(*paths: str) -> list[Path]:
    out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "--", *paths], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout.split("\n")
    return sorted(ROOT / p for p in out if p and (ROOT / p).is_file())


def external_imports() -> list[str]:
    """Every third-party module our code imports (dotted names)."""
    names: set[str] = set()
    for f in _tracked(*OWN):
        if f.suffix != ".py":
            continue
        tree = ast.parse(f.read_text(encoding="utf-8"), str(f))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
    # The standard library is left out: a release is always a full build, and CI's refreshed
    # bundle is only smoke-tested, so a new stdlib import must not cost CI a 10-minute rebuild.
    return sorted(n for n in names if n.split(".")[0] not in OWN and n.split(".")[0] not in sys.stdlib_module_names)


def base_key() -> str:
    h = hashlib.sha256()
    h.update(sys.version.encode())
    h.update(sys.platform.encode())
    for f in [ROOT / p for p in BASE_FILES] + _tracked("packaging/hooks"):
        h.update(f.relative_to(ROOT).as_posix().encode())
        h.update(f.read_bytes())
    h.update("\n".join(external_imports()).encode())
    return h.hexdigest()[:20]


def source_key() -> str:
    h = hashlib.sha256()
    for f in _tracked(*OWN, "resources"):
        h.update(f.relative_to(ROOT).as_posix().encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:20]


def refresh(bundle: Path) -> int:
    """Replace our packages' .pyc files and the resources in a built bundle."""
    internal = bundle / "_internal"
    if not internal.is_dir():
        raise SystemExit(f"{bundle} is not a one-folder bundle (no _internal)")
    count = 0
    for pkg in OWN:
        shutil.rmtree(internal / pkg, ignore_errors=True)
    for f in _tracked(*OWN):
        if f.suffix != ".py":
            continue
        rel = f.relative_to(ROOT)
        out = internal / rel.with_suffix(".pyc")
        out.parent.mkdir(parents=True, exist_ok=True)
        py_compile.compile(str(f), cfile=str(out), dfile=rel.as_posix(), doraise=True,
                           invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
        count += 1
    res = internal / "resources"
    for p in res.rglob("*"):
        if p.is_file() and p.name not in GENERATED:
            p.unlink()
    for f in _tracked("resources"):
        dst = internal / f.relative_to(ROOT)
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(f, dst)
    return count


def main(argv: list[str]) -> int:
    if argv[:1] == ["base"]:
        print(base_key())
    elif argv[:1] == ["source"]:
        print(source_key())
    elif argv[:1] == ["refresh"] and len(argv) == 2:
        print(f"refreshed {refresh(Path(argv[1]))} modules", file=sys.stderr)
    elif argv[:1] == ["imports"]:
        print("\n".join(external_imports()))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
