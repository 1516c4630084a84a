"""What the three trainers (scorer, detector, emotion) share: the default data path, the run
folder, the provenance record, atomic JSON, and config dataclasses as command-line flags.

    DEFAULT_DATA    the SCUT-FBP5500 v2 folder beside the repository (shared/data/)
    run_folder      writes RUNS/NAME.partial, renamed to RUNS/NAME when the block completes; an
                    interrupted run with checkpoints stays .partial until --resume finishes it
    provenance      the versions a run was made with, for its config or report
    resume_config, check_resumable
                    --resume: the interrupted run's settings, and a refusal of any change
    option          a config field with the help text its flag shows (the field's comment)
    add_config_args, config_from_args, make_config
                    a frozen config dataclass <-> argparse flags, one boolean convention
                    (--flag / --no-flag), unknown keys refused, types checked
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import shutil
import sys
import types
import typing
from collections.abc import Iterator, Mapping
from pathlib import Path

from facepack.provenance import versions

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "SCUT-FBP5500_v2"
DEFAULT_CACHE = Path(".cache/training")
DEFAULT_RUNS = Path("runs")
# The packages whose versions make a run what it is (read from their installed metadata).
PROVENANCE_PACKAGES = ("tensorflow", "keras", "mtcnn", "numpy")
# A run resumes only under the versions it started with: others may train it differently.
RESUME_SAME_VERSIONS = ("tensorflow", "keras", "numpy")


# ------------------------------------------------------------------------------ run folders
CHECKPOINTS = "checkpoints"  # the sub-folder of a .partial run folder that `--resume` continues from


@contextlib.contextmanager
def run_folder(run_dir: Path, resume: bool = False) -> Iterator[Path]:
    """Write a run folder: yields `run_dir`.partial, renamed to `run_dir` when the block completes.

    A folder named `run_dir` is therefore always a finished run: an existing one is refused
    (ValueError, before anything is written). A failure in the block (an error, Ctrl+C) is raised
    again, and the `.partial` folder is removed, unless it holds checkpoints (its CHECKPOINTS
    sub-folder, training.checkpoint): then it is kept for `resume`, which continues in it.
    A stale `.partial` without checkpoints (a run killed before its first) is replaced; one with
    checkpoints is refused unless `resume`, so that no interrupted training is lost by mistake.
    The checkpoints are removed when the block completes; they are never part of a finished run.
    """
    run_dir = Path(run_dir)
    if run_dir.exists():
        raise ValueError(f"run folder {run_dir} already exists; pick another --name")
    partial = run_dir.with_name(run_dir.name + ".partial")
    held = partial / CHECKPOINTS
    if resume:
        if not partial.is_dir():
            raise ValueError(f"nothing to resume: {partial} does not exist (a run keeps it when it is interrupted "
                             "after its first checkpoint)")
    elif held.is_dir() and any(held.iterdir()):
        raise ValueError(f"{partial} holds the checkpoints of an interrupted run: continue it with --resume "
                         f"--name {run_dir.name}, or remove the folder to start again")
    else:
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
    try:
        yield partial
    except BaseException:
        if not (held.is_dir() and any(held.iterdir())):
            shutil.rmtree(partial, ignore_errors=True)
        raise
    shutil.rmtree(held, ignore_errors=True)
    partial.rename(run_dir)


def interrupted_record(run_dir: Path) -> dict:
    """The config.json of the interrupted run `run_dir` (in `run_dir`.partial).

    Raises:
        ValueError: there is no interrupted run of that name, or it was killed before writing one.
    """
    path = Path(run_dir).with_name(Path(run_dir).name + ".partial") / "config.json"
    if not path.is_file():
        raise ValueError(f"nothing to resume: {path} does not exist")
    return json.loads(path.read_text())


def resume_config(cls: type, args: argparse.Namespace, section: str) -> dict:
    """For `--resume --name NAME`: the interrupted run's settings (its config.json[`section`]), with
    each flag given here that differs from its default on top; `check_resumable` refuses a change.
    (A flag given with its default value cannot be told from one not given: it is not checked.)"""
    if args.name is None:
        raise ValueError("--resume needs --name, the interrupted run's folder name")
    given = dataclasses.asdict(config_from_args(cls, args))
    defaults = dataclasses.asdict(cls())
    return {**interrupted_record(args.runs / args.name)[section],
            **{k: v for k, v in given.items() if v != defaults[k]}}


def check_resumable(partial: Path, record: dict, section: str) -> None:
    """Refuse (ValueError) to resume `partial` when `record`, the config.json this run would write,
    differs from the one the interrupted run wrote: a setting of `section` (named by its flag),
    another part (the crop rule, the data, ...), or the version of a package in RESUME_SAME_VERSIONS."""
    stored = json.loads((partial / "config.json").read_text()) if (partial / "config.json").is_file() else None
    if stored is None:
        raise ValueError(f"{partial} has no config.json: it was killed before training began; start it again")
    record = json.loads(json.dumps(record))  # as stored: tuples as lists
    changed = [f"{flag_name(k)} is {stored[section].get(k)!r} in the interrupted run, {v!r} now"
               for k, v in record[section].items() if stored[section].get(k) != v]
    changed += [f"its {k} differs from this code's or data's" for k in record
                if k not in (section, "versions") and stored.get(k) != record[k]]
    changed += [f"it was started with {name} {stored['versions'].get(name)}, this is {version}"
                for name, version in record.get("versions", {}).items()
                if name in RESUME_SAME_VERSIONS and stored.get("versions", {}).get(name) != version]
    if changed:
        raise ValueError(f"{partial} cannot be resumed as asked: " + "; ".join(changed))


def write_json(path: Path, data) -> None:
    """Write JSON atomically: an interrupted write never leaves a half-written file."""
    tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=1) + "\n")
    os.replace(tmp, path)


def provenance() -> dict[str, str]:
    """The facepack version and the installed versions of PROVENANCE_PACKAGES."""
    return versions(PROVENANCE_PACKAGES)


# ------------------------------------------------------------------- configs as flags
def option(default, help: str):
    """A config field and its comment: the help text its command-line flag shows."""
    return dataclasses.field(default=default, metadata={"help": help})


def flag_name(name: str) -> str:
    """The flag of a config field: `batch_size` -> `--batch-size`."""
    return f"--{name.replace('_', '-')}"


def _field_type(cls: type, field: dataclasses.Field) -> tuple[type, bool]:
    """(the field's type, whether it may be None) from its annotation: bool, int, float or str."""
    hint = typing.get_type_hints(cls)[field.name]
    optional = typing.get_origin(hint) in (typing.Union, types.UnionType) and type(None) in typing.get_args(hint)
    if optional:
        (hint,) = [a for a in typing.get_args(hint) if a is not type(None)]
    if hint not in (bool, int, float, str):
        raise TypeError(f"{cls.__name__}.{field.name}: a flag takes bool, int, float or str, not {hint}")
    return hint, optional


def add_config_args(parser: argparse.ArgumentParser, cls: type) -> None:
    """One flag per field of the config dataclass `cls`, with its help text and default.

    A bool field is `--flag` / `--no-flag` (argparse.BooleanOptionalAction); any other field
    takes one value, converted to the field's type (argparse refuses one that does not convert).
    """
    for field in dataclasses.fields(cls):
        kind, _ = _field_type(cls, field)
        text = field.metadata.get("help", "").replace("%", "%%")
        help_text = f"{text} (default: %(default)s)".lstrip()
        if kind is bool:
            parser.add_argument(flag_name(field.name), dest=field.name, default=field.default,
                                action=argparse.BooleanOptionalAction, help=help_text)
        else:
            parser.add_argument(flag_name(field.name), dest=field.name, default=field.default, type=kind,
                                help=help_text)


def make_config(cls: type, values: Mapping):
    """`cls(**values)`, once every key is a field of `cls` and every value has the field's type.

    Raises:
        ValueError: an unknown key, or a value of the wrong type; the message names the flag.
    """
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ValueError(f"{cls.__name__} has no {', '.join(flag_name(k) for k in unknown)}; "
                         f"its flags are {', '.join(flag_name(k) for k in fields)}")
    for key, value in values.items():
        kind, optional = _field_type(cls, fields[key])
        if value is None and optional:
            continue
        fits = (isinstance(value, bool) if kind is bool
                else isinstance(value, str) if kind is str
                else isinstance(value, int | float if kind is float else int) and not isinstance(value, bool))
        if not fits:
            raise ValueError(f"{flag_name(key)} takes {kind.__name__}{' or None' if optional else ''}, "
                             f"not {value!r}")
    return cls(**values)


def config_from_args(cls: type, args: argparse.Namespace):
    """The config `cls` that the flags added by `add_config_args` say."""
    return make_config(cls, {f.name: getattr(args, f.name) for f in dataclasses.fields(cls)})


def add_data_args(parser: argparse.ArgumentParser) -> None:
    """--data (the SCUT-FBP5500 folder) and --cache (detections, views and crops)."""
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                        help=f"SCUT-FBP5500 folder (default: {DEFAULT_DATA})")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE,
                        help=f"where detections, views and crops are cached (default: {DEFAULT_CACHE})")


def add_run_args(parser: argparse.ArgumentParser, default_name: str) -> None:
    """--runs (the parent of run folders) and --name (the run folder's name)."""
    parser.add_argument("--runs", type=Path, default=DEFAULT_RUNS,
                        help=f"parent of run folders (default: {DEFAULT_RUNS})")
    parser.add_argument("--name", help=f"run folder name (default: {default_name})")


def add_resume_arg(parser: argparse.ArgumentParser) -> None:
    """--resume: continue the interrupted run --name (training.common.run_folder)."""
    parser.add_argument("--resume", action=argparse.BooleanOptionalAction, default=False,
                        help="continue the interrupted run --name (runs/NAME.partial, kept when a run is killed or "
                             "stopped after its first epoch) from its last checkpoint, with its settings; a flag "
                             "given with a value other than its default and the run's is refused "
                             "(default: %(default)s)")


def interrupted(run_dir: Path) -> int:
    """After Ctrl+C: say how to continue, when the run kept its .partial folder. Returns exit code 130."""
    partial = Path(run_dir).with_name(Path(run_dir).name + ".partial")
    if partial.is_dir():
        print(f"\ninterrupted: {partial} is kept; continue with --resume --name {Path(run_dir).name}",
              file=sys.stderr)
    return 130
