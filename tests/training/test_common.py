"""training.common, shared by the three trainers: the run folder, configs as flags (one boolean
convention, unknown and ill-typed flags refused), the provenance record, the default data path."""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass
from pathlib import Path

import pytest

from training.common import (
    DEFAULT_DATA,
    add_config_args,
    config_from_args,
    make_config,
    option,
    provenance,
    run_folder,
)

ROOT = Path(__file__).resolve().parents[2]


# ------------------------------------------------------------------------------ run folder
def test_a_completed_block_renames_the_partial_folder(tmp_path):
    run_dir = tmp_path / "runs" / "r1"
    with run_folder(run_dir) as partial:
        assert partial == tmp_path / "runs" / "r1.partial" and partial.is_dir()
        assert not run_dir.exists()  # nothing that looks finished while the block runs
        (partial / "report.json").write_text("{}")
    assert (run_dir / "report.json").read_text() == "{}"
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["r1"]


@pytest.mark.parametrize("error", [RuntimeError("training failed"), KeyboardInterrupt()])
def test_a_failure_removes_the_partial_folder_and_is_raised_again(tmp_path, error):
    run_dir = tmp_path / "r1"
    with pytest.raises(type(error)):
        with run_folder(run_dir) as partial:
            (partial / "emotion.keras").write_text("half a model")
            raise error
    assert list(tmp_path.iterdir()) == []  # neither r1/ nor r1.partial/


def test_an_existing_run_folder_is_refused_and_left_as_it_is(tmp_path):
    run_dir = tmp_path / "r1"
    run_dir.mkdir()
    (run_dir / "report.json").write_text("finished")
    with pytest.raises(ValueError, match="r1 already exists; pick another --name"):
        with run_folder(run_dir):
            raise AssertionError("the block must not run")
    assert (run_dir / "report.json").read_text() == "finished"
    assert not (tmp_path / "r1.partial").exists()


def test_a_stale_partial_folder_of_a_killed_run_is_replaced(tmp_path):
    stale = tmp_path / "r1.partial"
    stale.mkdir()
    (stale / "old.npz").write_text("from a killed run")
    with run_folder(tmp_path / "r1") as partial:
        assert list(partial.iterdir()) == []
    assert list((tmp_path / "r1").iterdir()) == [] and not stale.exists()


# --------------------------------------------------------------------- configs as flags
@dataclass(frozen=True)
class Toy:
    epochs: int = option(3, "passes")
    rate: float = option(0.5, "a rate of 50%")
    mirror: bool = option(True, "mirror images")
    name: str = option("a", "a name")
    weights: str | None = option(None, "a file")


def toy_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="toy", exit_on_error=False)
    add_config_args(parser, Toy)
    return parser


def test_flags_are_built_from_the_config_with_its_defaults_and_types():
    parser = toy_parser()
    assert config_from_args(Toy, parser.parse_args([])) == Toy()
    got = config_from_args(Toy, parser.parse_args(["--epochs", "7", "--rate", "2", "--no-mirror", "--weights", "w.h5"]))
    assert got == Toy(epochs=7, rate=2.0, mirror=False, weights="w.h5")
    assert isinstance(got.rate, float)
    assert "a rate of 50% (default: 0.5)" in " ".join(parser.format_help().split())


def test_booleans_are_flag_and_no_flag_only(capsys):
    parser = toy_parser()
    assert parser.parse_args(["--mirror"]).mirror is True
    assert parser.parse_args(["--no-mirror"]).mirror is False
    with pytest.raises(argparse.ArgumentError, match="ignored explicit argument 'false'"):
        parser.parse_args(["--mirror=false"])
    with pytest.raises(SystemExit):
        parser.parse_args(["--mirror", "false"])  # the old `--align false` style
    assert "unrecognized arguments: false" in capsys.readouterr().err


def test_unknown_and_ill_typed_flags_are_refused(capsys):
    parser = toy_parser()
    with pytest.raises(argparse.ArgumentError, match="invalid int value: 'many'"):
        parser.parse_args(["--epochs", "many"])
    with pytest.raises(argparse.ArgumentError, match="invalid float value: 'fast'"):
        parser.parse_args(["--rate", "fast"])
    with pytest.raises(SystemExit):
        parser.parse_args(["--epochs", "3", "--colour", "red"])
    assert "unrecognized arguments: --colour red" in capsys.readouterr().err


@pytest.mark.parametrize("values, message", [
    ({"epochs": 3, "colour": "red"},
     "Toy has no --colour; its flags are --epochs, --rate, --mirror, --name, --weights"),
    ({"epochs": "3"}, "--epochs takes int, not '3'"),
    ({"epochs": 3.0}, "--epochs takes int, not 3.0"),
    ({"epochs": True}, "--epochs takes int, not True"),
    ({"mirror": 1}, "--mirror takes bool, not 1"),
    ({"rate": "0.5"}, "--rate takes float, not '0.5'"),
    ({"name": None}, "--name takes str, not None"),
    ({"weights": 5}, "--weights takes str or None, not 5"),
])
def test_make_config_refuses_unknown_keys_and_wrong_types(values, message):
    with pytest.raises(ValueError) as err:
        make_config(Toy, values)
    assert str(err.value) == message


def test_make_config_takes_an_int_for_a_float_and_none_where_allowed():
    assert make_config(Toy, {"rate": 2, "weights": None}) == Toy(rate=2)


def test_a_field_of_a_type_no_flag_takes_is_refused_when_the_parser_is_built():
    @dataclass(frozen=True)
    class Listy:
        sizes: tuple = (1, 2)

    with pytest.raises(TypeError, match="Listy.sizes: a flag takes bool, int, float or str"):
        add_config_args(argparse.ArgumentParser(), Listy)


# ------------------------------------------------------------ the trainers' real commands
@pytest.fixture(scope="module")
def parser() -> argparse.ArgumentParser:
    from training.__main__ import build_parser

    return build_parser()


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def test_the_dispatcher_offers_every_trainers_commands(parser):
    assert list(subcommands(parser)) == ["crop", "fit", "evaluate", "robustness", "ship", "detector",
                                         "detector-cascade", "detector-gate", "emotion"]


def test_every_yes_no_option_of_every_command_is_flag_and_no_flag(parser):
    for name, command in {"": parser, **subcommands(parser)}.items():
        for action in command._actions:
            if action.nargs == 0 and not isinstance(action, argparse._HelpAction):
                assert isinstance(action, argparse.BooleanOptionalAction), (name, action.option_strings)
                assert len(action.option_strings) == 2, (name, action.option_strings)


@pytest.mark.parametrize("argv, dest, value", [
    (["fit"], "align", True),
    (["fit", "--no-align"], "align", False),
    (["fit", "--tta-flip"], "tta_flip", True),
    (["evaluate", "m.keras"], "flip", False),
    (["evaluate", "m.keras", "--flip"], "flip", True),
    (["robustness", "default"], "align", True),
    (["robustness", "default", "--no-align"], "align", False),
    (["robustness", "default", "--emotion"], "emotion", True),
    (["ship", "runs/a"], "mirror", True),
    (["ship", "runs/a", "--no-mirror"], "mirror", False),
    (["emotion", "--csv", "f.csv", "--no-mirror"], "mirror", False),
])
def test_the_commands_booleans(parser, argv, dest, value):
    assert getattr(parser.parse_args(argv), dest) is value


@pytest.mark.parametrize("argv, error", [
    (["fit", "--align", "false"], "unrecognized arguments: false"),
    (["fit", "--views", "six"], "argument --views: invalid int value: 'six'"),
    (["detector", "--epochs", "2.5"], "argument --epochs: invalid int value: '2.5'"),
    (["fit", "--no-such-flag", "1"], "unrecognized arguments: --no-such-flag 1"),
    (["emotion", "--csv", "f.csv", "--mirror", "no"], "unrecognized arguments: no"),
])
def test_the_commands_refuse_unknown_and_ill_typed_flags(parser, capsys, argv, error):
    with pytest.raises(SystemExit):
        parser.parse_args(argv)
    assert error in capsys.readouterr().err


def test_each_trainers_config_is_frozen_and_every_field_has_a_comment():
    from training.detector.config import DetectorConfig
    from training.emotion.config import EmotionConfig
    from training.scorer.config import FitConfig

    for config in (FitConfig, DetectorConfig, EmotionConfig):
        assert config.__dataclass_params__.frozen, config.__name__
        for field in dataclasses.fields(config):
            assert field.metadata.get("help", "").strip(), f"{config.__name__}.{field.name} has no comment"


def test_the_parsed_flags_make_the_config(parser):
    from training.detector.config import DetectorConfig
    from training.scorer.config import FitConfig

    fit = config_from_args(FitConfig, parser.parse_args(["fit", "--no-align", "--views", "0", "--stage1-lr", "1"]))
    assert fit == FitConfig(align=False, views=0, stage1_lr=1.0)
    args = parser.parse_args(["detector", "--epochs", "2", "--decay-epochs", "1"])
    assert config_from_args(DetectorConfig, args) == DetectorConfig(epochs=2, decay_epochs="1")


# ------------------------------------------------------------- provenance, default data
def test_provenance_names_facepack_and_the_packages_a_run_depends_on():
    from importlib.metadata import version

    import facepack

    record = provenance()
    assert list(record) == ["facepack", "tensorflow", "keras", "mtcnn", "numpy"]
    assert record["facepack"] == facepack.__version__ and record["keras"] == version("keras")


def test_the_default_data_is_scut_beside_the_repository(parser):
    assert DEFAULT_DATA == ROOT.parent / "shared" / "data" / "SCUT-FBP5500_v2"
    for command in ("crop", "fit", "evaluate", "robustness", "ship", "detector"):
        extra = {"evaluate": ["m"], "robustness": ["m"], "ship": ["r"]}.get(command, [])
        assert parser.parse_args([command, *extra]).data == DEFAULT_DATA
