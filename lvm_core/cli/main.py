"""python -m lvm_core COMMAND: the engine without the app. `python -m lvm_core -h` lists the commands.

Commands live in models.py (train, evaluate, table, iwae, export), outputs.py (encode,
reconstruct, sample, export-map), apps.py (train-classifier, sweep, project), factors.py
(factors, debias, rare) and lesson.py (export-lesson): each module's add_commands() adds its
parsers, each with set_defaults(run=cmd_function). To add a command, add both to the module it fits.

The project's own errors (LvmError: a bad file, a missing dataset, a diverged run) and bad arguments
exit non-zero with one line on stderr; anything else is a bug and keeps its traceback.
"""
from __future__ import annotations

import argparse
import sys

from lvm_core.errors import InvalidInput, LvmError


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, not argparse's usage block
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(2)


def data_args(p):
    p.add_argument("--data-dir", help="dataset folder (default: $LVM_DATA_DIR, else ./data)")


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

    args = build_parser().parse_args(argv)
    configure(threads=None)     # commands set their own threads (--threads)
    try:
        return args.run(args) or 0
    except InvalidInput as exc:   # valid-looking arguments that do not go together
        sys.stderr.write(f"error: {exc}\n")
        return 2
    except LvmError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
