"""Build RNN Lab as a one-folder app that runs without Python: ``make bundle``.

    python3 scripts/build_bundle.py [--venv build/bundle-venv] [--dist build/dist]

Steps, each skipped when its result is up to date:

1. A build environment of its own (``build/bundle-venv``): the project's dependencies as
   pyproject.toml lists them, with ``tensorflow-cpu`` in place of ``tensorflow`` where that wheel
   exists (Linux x86-64, Windows; the full wheel carries ~1 GB of CUDA kernels a CPU app never
   runs), plus the ``onnx`` and ``bundle`` extras. It is separate from ``.venv`` because the two
   TensorFlow wheels install the same package and cannot share an environment.
2. PyInstaller with ``scripts/rnn_lab.spec``: ``build/dist/rnn-lab/rnn-lab`` opens the window
   without arguments and is the command line with them (``rnn-lab train ...``), like main.py.
3. ``build/dist/rnn-lab/rnn-lab.desktop``: a menu entry pointing at that executable;
   ``python3 scripts/install_desktop.py --launcher build/dist/rnn-lab/rnn-lab`` installs it.

``scripts/bundle_smoke.py`` then checks the result (``make bundle-smoke``).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "scripts" / "rnn_lab.spec"
APP = "rnn-lab"
BUNDLE_EXTRAS = ("onnx", "bundle")


def has_cpu_wheel() -> bool:
    """Whether PyPI has ``tensorflow-cpu`` for this platform (macOS's ``tensorflow`` is CPU-only anyway)."""
    machine = platform.machine().lower()
    return sys.platform == "win32" or (sys.platform.startswith("linux") and machine in ("x86_64", "amd64"))


def requirements(pyproject: Path = ROOT / "pyproject.toml", cpu_wheel: bool | None = None) -> list[str]:
    """The dependencies and the bundle's extras, with the CPU-only TensorFlow where it exists."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    cpu = has_cpu_wheel() if cpu_wheel is None else cpu_wheel
    found = []
    for requirement in project["dependencies"]:
        name = requirement.split(">")[0].split("<")[0].split("=")[0].split("[")[0].strip()
        if cpu and name == "tensorflow":
            requirement = "tensorflow-cpu" + requirement[len(name):]
        found.append(requirement)
    for extra in BUNDLE_EXTRAS:
        found += [r for r in project["optional-dependencies"][extra] if not r.startswith("rnn-lab")]
    return found


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def prepare_venv(venv: Path) -> Path:
    python = venv_python(venv)
    wanted = requirements()
    stamp = venv / ".rnn-lab-requirements"
    digest = hashlib.sha256("\n".join(wanted).encode()).hexdigest()
    if python.exists() and stamp.exists() and stamp.read_text() == digest:
        print(f"build environment {venv} is up to date")
        return python
    if not python.exists():
        print(f"creating the build environment {venv}")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
    print("installing into it: " + ", ".join(wanted))
    subprocess.run([str(python), "-m", "pip", "install", "-q", *wanted], check=True)
    stamp.write_text(digest)
    return python


# TensorFlow's libraries carry ~200 MB of symbol tables. Only these are stripped: strip breaks
# libraries that auditwheel edited with patchelf (numpy's OpenBLAS fails to load afterwards).
STRIPPED = ("tensorflow/libtensorflow_cc.so.2", "tensorflow/libtensorflow_framework.so.2")


def strip_tensorflow(app_dir: Path) -> None:
    if not sys.platform.startswith("linux") or shutil.which("strip") is None:
        return
    for name in STRIPPED:
        library = app_dir / "_internal" / name
        if library.is_file():
            before = library.stat().st_size
            subprocess.run(["strip", "--strip-unneeded", str(library)], check=True)
            print(f"stripped {name}: {before / 2**20:.0f} -> {library.stat().st_size / 2**20:.0f} MiB")


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def write_desktop_entry(app_dir: Path) -> Path:
    sys.path.insert(0, str(ROOT / "scripts"))
    from install_desktop import desktop_entry

    executable = app_dir / APP
    entry = app_dir / f"{APP}.desktop"
    entry.write_text(desktop_entry(executable.absolute()), encoding="utf-8")
    entry.chmod(0o755)
    return entry


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--venv", type=Path, default=ROOT / "build" / "bundle-venv",
                        help="the build environment (created if missing)")
    parser.add_argument("--dist", type=Path, default=ROOT / "build" / "dist", help="where the app folder goes")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "pyinstaller",
                        help="PyInstaller's work folder")
    args = parser.parse_args(argv)

    python = prepare_venv(args.venv.absolute())
    started = time.monotonic()
    subprocess.run([str(python), "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
                    "--distpath", str(args.dist.absolute()), "--workpath", str(args.work.absolute()),
                    str(SPEC)], check=True, cwd=ROOT)
    app_dir = args.dist.absolute() / APP
    strip_tensorflow(app_dir)
    if sys.platform.startswith("linux"):
        print(f"menu entry: {write_desktop_entry(app_dir)} (install it with: python3 scripts/install_desktop.py "
              f"--launcher {app_dir / APP})")
    size = folder_size(app_dir)
    print(f"built {app_dir} in {time.monotonic() - started:.0f} s: {size / 2**20:.0f} MiB")
    if shutil.which("du"):
        subprocess.run(["du", "-sh", str(app_dir)], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
