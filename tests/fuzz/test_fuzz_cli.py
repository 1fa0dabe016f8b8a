"""Seeded fuzzing of the command line: every command `python -m lvm_core -h` lists, each argument in turn
given bad values made from what the parser says it takes (whole numbers past their bounds, NaN and inf,
text where a number goes, paths of every kind: a folder, a named pipe, /dev/zero, a missing parent, a
read-only folder, a file that is not a checkpoint), plus a missing required argument and an unknown one.

Every case must exit 1 (a bad file) or 2 (bad arguments) with one line on stderr, print nothing on
stdout, write nothing anywhere, and end within seconds. Cases run in this process through main(argv)
(milliseconds each: the checks come before any work); a few run as `python -m lvm_core` under a memory
cap and a timeout, the ones that once hung or allocated without bound. A failure names its command line.

An argument whose type= the test does not recognise fails the test: every argument goes through
lvm_core/cli/checks.py."""
from __future__ import annotations

import contextlib
import io
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lvm_core.cli.main import build_parser, main

SEED = 20261203
SECONDS_PER_CASE = 30          # a hang guard (a case takes milliseconds): not a speed target
MEMORY_CAP = 6 * 2**30         # address space of a subprocess case: torch needs ~4 GB of it to start
ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "checkpoints"
VAE, AE = str(SHIPPED / "digits-vae-mlp-8.safetensors"), str(SHIPPED / "digits-ae-mlp-8.safetensors")


class CaseTimeout(BaseException):
    """Raised by the alarm: not an Exception, so no handler in the CLI can swallow it."""


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory) -> Path:
    """Paths of every kind the cases point at."""
    s = tmp_path_factory.mktemp("cli_fuzz")
    (s / "folder").mkdir()
    (s / "full").mkdir()
    (s / "full" / "mine.txt").write_text("mine")
    os.mkfifo(s / "fifo")
    (s / "file.txt").write_text("not a checkpoint\n")
    (s / "empty.safetensors").write_bytes(b"")
    (s / "junk.safetensors").write_bytes(b"\x00" * 64)
    (s / "junk.npz").write_bytes(b"PK\x03\x04" + b"\x00" * 60)
    (s / "models").mkdir()
    shutil.copy(VAE, s / "models")
    (s / "ro").mkdir()
    (s / "ro").chmod(0o555)
    yield s
    (s / "ro").chmod(0o755)


def baselines(s: Path) -> dict[str, list[str]]:
    """A valid, cheap command line per command (digits models): each case breaks one argument of it."""
    return {
        "train": ["--dataset", "digits", "--epochs", "1", "--out", f"{s}/new.safetensors"],
        "evaluate": [VAE],
        "iwae": [VAE, "--k", "2", "--n", "2"],
        "export": [VAE, "--out", f"{s}/decoder.onnx"],
        "encode": [VAE, "--out", f"{s}/codes.npy"],
        "reconstruct": [VAE, "--out", f"{s}/recon.npy"],
        "sample": [VAE, "--n", "4", "--out", f"{s}/samples.npy"],
        "export-map": [VAE, "--n", "50", "--out", f"{s}/map"],
        "table": [f"{s}/models", "--out", f"{s}/table.md"],
        "train-classifier": ["--dataset", "digits", "--epochs", "1", "--out", f"{s}/lenet.safetensors"],
        "sweep": [AE, "--out", f"{s}/sweep.json"],
        "project": [VAE, "--method", "pca", "--n", "50", "--out-dir", f"{s}/maps"],
        "factors": [VAE],
        "debias": [VAE, "--out", f"{s}/debiased.npy"],
        "rare": [VAE, "--n", "4", "--out", f"{s}/rare.npy"],
        "export-lesson": [AE, VAE, "--n", "50", "--out", f"{s}/lesson"],
    }


def _junk(rng: random.Random) -> str:
    """Seeded hostile text: control characters, bidi marks, markup, very long."""
    parts = ["\n", "\r", "\t", "\x1b[31m", "\u202e", "<b>", "%s", "..", "/", "=cmd|", "é", "9" * 50]
    return "".join(rng.choice(parts) for _ in range(rng.randint(1, 6))) + "x" * rng.choice([0, 1, 5000])


def bad_values(action, s: Path, rng: random.Random) -> list[str]:
    """Values the argument must refuse, from what its type= says it takes."""
    t = action.type
    if action.choices is not None:
        return ["bogus", "", "\n"]
    name = getattr(t, "__name__", None)
    if name == "whole_number":
        low, high = t.bounds
        return [str(low - 1), str(high + 1), "1" + "0" * 25, "1.5", "1e3", "0x10", "nan", "inf", "abc", "",
                _junk(rng)]
    if name == "number":
        low, high, positive = t.bounds
        return ["nan", "inf", "-inf", "1e400", "abc", "", str(low - 1.0), str(high * 2 + 1), _junk(rng)] \
            + (["0"] if positive else [])
    if name == "existing_file":
        return [f"{s}/folder", f"{s}/fifo", "/dev/zero", "/dev/null", f"{s}/missing.safetensors",
                f"{s}/nope/x.safetensors", f"{s}/empty.safetensors", f"{s}/junk.safetensors", "x" * 5000]
    if name == "file_to_write":
        suffix = t.suffixes[0] if t.suffixes else ".txt"
        return [f"{s}/folder", f"{s}/fifo", "/dev/zero", f"{s}/nope/x{suffix}", f"{s}/ro/x{suffix}", ""] \
            + ([f"{s}/x.wrong"] if t.suffixes else [])
    if name == "folder_to_write":
        return [f"{s}/file.txt", f"{s}/fifo", "/dev/zero", f"{s}/nope/x", f"{s}/ro/sub", f"{s}/ro"] \
            + ([f"{s}/full"] if t.new else [])
    if name == "data_folder":
        return [f"{s}/file.txt", f"{s}/fifo", "/dev/zero", f"{s}/nope/deeper"]
    if name == "input_folder":
        return [f"{s}/file.txt", f"{s}/fifo", "/dev/zero", f"{s}/missing", f"{s}/folder"]
    if name == "name_text":
        return ["a\nb", "x" * 300, "\u202eevil", "\x1b[31mred", _junk(rng)]
    if t is None and action.dest == "dataset":       # a dataset's name or a path to your own images
        return ["bogus", f"{s}/fifo", "/dev/zero", f"{s}/folder", f"{s}/junk.npz", f"{s}/file.txt", _junk(rng)]
    raise AssertionError(f"{action.option_strings or action.dest}: type {t!r} is not one of lvm_core/cli/checks.py's")


def commands():
    """(name, subparser) for every command."""
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    return list(sub.choices.items())


def cases(s: Path) -> list[list[str]]:
    """Every command line to try: each argument of each command broken in turn, then the odd ones."""
    rng, base, out = random.Random(SEED), baselines(s), []
    for name, parser in commands():
        positionals = [a for a in parser._actions if not a.option_strings]
        values = [a for a in parser._actions if a.option_strings and a.nargs != 0 and a.dest != "help"]
        argv = base[name]
        n_pos = next(i for i, v in enumerate(argv + ["--"]) if v.startswith("--"))    # positionals come first
        given, options = argv[:n_pos], argv[n_pos:]
        for i, action in enumerate(positionals):
            for bad in bad_values(action, s, rng):
                out.append([name, *given[:i], bad, *given[i + 1:], *options])
        for action in values:
            flag = action.option_strings[-1]
            for bad in bad_values(action, s, rng):
                if flag in options:
                    at = options.index(flag)
                    out.append([name, *given, *options[:at], flag, bad, *options[at + 2:]])
                else:
                    out.append([name, *given, *options, flag, bad])
            if action.required:
                at = options.index(flag)
                out.append([name, *given, *options[:at], *options[at + 2:]])
        out += [[name, *given, *options, "--frobnicate"], [name, *given, *options, "extra-positional"]]
    return out


def snapshot(*folders: Path) -> dict:
    found = {}
    for folder in folders:
        for p in folder.rglob("*"):
            if p.is_file() or p.is_dir():
                info = p.stat()
                found[str(p)] = (info.st_size, info.st_mtime_ns, p.is_dir())
    return found


def _alarm(signum, frame):
    raise CaseTimeout


def run_in_process(argv: list[str]) -> tuple[object, str, str]:
    """(exit code or the exception's name, stdout, stderr) of main(argv), within SECONDS_PER_CASE."""
    out, err = io.StringIO(), io.StringIO()
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, SECONDS_PER_CASE)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
    except CaseTimeout:
        code = f"no end within {SECONDS_PER_CASE} s"
    except BaseException as exc:  # noqa: BLE001 - the point of the test: a traceback is a failure
        code = f"{type(exc).__name__}: {exc}"[:300]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    return code, out.getvalue(), err.getvalue()


def problem(code, stdout: str, stderr: str) -> str | None:
    lines = stderr.strip().splitlines()
    if code not in (1, 2):
        return f"ended with {code!r}"
    if len(lines) != 1 or "Traceback" in stderr:
        return f"stderr is not one line: {stderr[:300]!r}"
    if stdout:
        return f"printed on stdout (work started before the check): {stdout[:200]!r}"
    return None


def shown(argv) -> str:
    return "python -m lvm_core " + " ".join(repr(a[:60]) if not a or set(a) & set(" \n\t\r\x1b") or len(a) > 60
                                            else a for a in argv)


@pytest.mark.timeout(600)
def test_every_command_refuses_bad_arguments_in_one_line(sandbox, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LVM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("LVM_MODELS_DIR", str(tmp_path / "user_models"))
    for name, argv in baselines(sandbox).items():   # each case breaks one thing of a command line that parses
        build_parser().parse_args([name, *argv])
    watched = (sandbox, SHIPPED, tmp_path)
    before, all_cases, failures = snapshot(*watched), cases(sandbox), []
    start = time.monotonic()
    for argv in all_cases:
        code, stdout, stderr = run_in_process(argv)
        wrong = problem(code, stdout, stderr)
        after = snapshot(*watched)
        if after != before:
            changed = sorted(set(after.items()) ^ set(before.items()))[:3]
            wrong = (wrong + "; " if wrong else "") + f"wrote {changed}"
            before = after
        if wrong:
            failures.append(f"{shown(argv)}: {wrong}")
    took = time.monotonic() - start
    names = {argv[0] for argv in all_cases}
    print(f"\nCLI fuzz: {len(names)} commands x {len(all_cases)} cases in-process in {took:.0f} s, "
          f"{len(failures)} failed")
    assert names == {name for name, _ in commands()}
    assert not failures, f"{len(failures)} of {len(all_cases)} cases:\n" + "\n".join(failures[:40])


def _cap_memory():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


@pytest.mark.timeout(600)
def test_the_inputs_that_once_hung_or_exhausted_memory_end_in_one_line(sandbox, tmp_path):
    """As a user runs them: separate processes, under a memory cap, each with a timeout."""
    mnist = str(SHIPPED / "mnist-vae-mlp-32.safetensors")       # 1,000,000 of its samples: 3 GB of float32
    runs = [["evaluate", f"{sandbox}/fifo"], ["evaluate", "/dev/zero"],
            ["sample", VAE, "--n", "1000000000", "--out", f"{tmp_path}/s.npy"],
            ["sample", mnist, "--n", "1000000", "--out", f"{tmp_path}/s.npy"],
            ["iwae", VAE, "--k", "1000000000000", "--n", "2"]]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LVM_CACHE_DIR": str(tmp_path / "cache")}
    failures = []
    for argv in runs:
        try:
            r = subprocess.run([sys.executable, "-m", "lvm_core", *argv], capture_output=True, text=True, env=env,
                               cwd=tmp_path, timeout=180, preexec_fn=_cap_memory)
            wrong = problem(r.returncode, r.stdout, r.stderr)
        except subprocess.TimeoutExpired:
            wrong = "no end within 180 s"
        if wrong:
            failures.append(f"{shown(argv)}: {wrong}")
    print(f"\nCLI fuzz: {len(runs)} cases as subprocesses under a {MEMORY_CAP / 2**30:.0f} GB cap")
    assert not list(tmp_path.glob("*.npy")), "a refused sample wrote a file"
    assert not failures, "\n".join(failures)
