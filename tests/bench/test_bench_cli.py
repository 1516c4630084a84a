"""`python -m bench` refuses bad arguments before it starts anything long."""

from __future__ import annotations

import pytest

from bench.run import main


def test_unknown_variant_and_missing_bundle_are_refused(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--variants", "wasm,metal", "--bundle", str(tmp_path)])
    assert exit_info.value.code == 2
    assert "unknown variant(s) metal" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--bundle", str(tmp_path)])
    assert "is not a bundle" in capsys.readouterr().err
