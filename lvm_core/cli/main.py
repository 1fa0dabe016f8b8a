"""python -m lvm_core COMMAND: the engine without the app. `python -m lvm_core -h` lists the commands.

Commands live in models.py (train, evaluate, iwae, export), outputs.py (encode,
reconstruct, sample, export-map), apps.py (table, train-classifier, sweep, project), factors.py
(factors, debias, rare) and lesson.py (export-lesson): each module's add_commands() adds its
parsers, each with set_defaults(run=cmd_function). To add a command, add both to the module it fits.

The project's own errors (LvmError: a bad file, a missing dataset, a diverged run) and bad arguments
exit non-zero with one line on stderr; anything else is a bug and keeps its traceback.
"""
from __future__ import annotations

import argparse
import sys

from lvm_core.errors import InvalidInput, LvmError
from lvm_core.text import MESSAGE_LIMIT, clean


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, not argparse's usage block (an argument's newline cannot add one)
        sys.stderr.write(f"{self.prog}: error: {clean(message, MESSAGE_LIMIT)}\n")
        raise SystemExit(2)


def data_args(p):
    from lvm_core.cli.checks import data_folder

    p.add_argument("--data-dir", type=data_folder, help="dataset folder (default: $LVM_DATA_DIR, else ./data)")


def build_parser() -> argparse.ArgumentParser:
    from lvm_core.cli import apps as cli_apps
    from lvm_core.cli import factors as cli_factors
    from lvm_core.cli import lesson as cli_lesson
    from lvm_core.cli import models as cli_models
    from lvm_core.cli import outputs as cli_outputs

    parser = _Parser(prog="python -m lvm_core", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for module in (cli_models, cli_outputs, cli_apps, cli_factors, cli_lesson):
        module.add_commands(sub, data_args)
    return parser


def main(argv=None) -> int:
    from lvm_core.startup import configure

    try:
        try:    # input files are checked here too: a bad one is the file's problem (FileRefused: exit 1)
            args = build_parser().parse_args(argv)
        except SystemExit as exc:   # -h (0), or a bad argument, said in one line (2): returned, so callers
            return exc.code if isinstance(exc.code, int) else 2     # in the process (tests) get it too
        configure(threads=None)     # commands set their own threads (--threads)
        return args.run(args) or 0
    except InvalidInput as exc:   # valid-looking arguments that do not go together
        sys.stderr.write(f"error: {clean(exc, MESSAGE_LIMIT)}\n")
        return 2
    except LvmError as exc:       # a file named in a message may hold a newline or an escape sequence
        sys.stderr.write(f"error: {clean(exc, MESSAGE_LIMIT)}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
