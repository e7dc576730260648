"""MarginModel: the six shipped specs load, and every malformed spec names file and key."""

import pytest

from tests.models.conftest import CIRCUITS, MODEL_NAMES, model
from zkmargin.errors import InputError
from zkmargin.engine.models import MarginModel


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_margin_model_loads_with_levels_when_shipped_spec(name):
    spec = model(name)
    assert spec.name == name and spec.family == name
    assert spec.levels["maintenance"] == "1"
    assert "initial" in spec.levels
    assert spec.parameters is getattr(spec, name)


def mutated(name: str, old: str, new: str) -> str:
    text = (CIRCUITS / f"{name}.toml").read_text()
    assert old in text
    return text.replace(old, new, 1)


@pytest.mark.parametrize(
    ("name", "old", "new", "message"),
    [
        ("span", "extreme_cover = 0.35", "extreme_cover = 0.35\nextreme_covr = 1",
         "span.extreme_covr: Extra inputs are not permitted"),
        ("span", "equity = 0.15", "equity = -0.15", "span.scan_range.equity"),
        ("span", "equity = 0.15", "", "span.scan_range.equity: Field required"),
        ("portfolio_margin", "points = 10", "points = 9", "portfolio_margin.points"),
        ("crypto_pm", "spot_points = 9", "spot_points = 8", "crypto_pm.spot_points"),
        ("expected_shortfall", 'confidence = "0.975"', 'confidence = "1.5"',
         "expected_shortfall.confidence"),
        ("standard", 'family = "standard"', 'family = "span"', "[standard] table"),
        ("standard", 'family = "standard"', 'family = "swaps"', "family"),
        ("scenario", 'maintenance = "1"', 'maintenance = "1.5"', "levels"),
        ("scenario", 'initial = "1.1"', 'initial = "0.9"', "level 'initial'"),
        ("scenario", 'initial = "1.1"', 'initial = "abc"', "level 'initial'"),
        ("scenario", "price_steps = 3", "price_steps = [", "malformed TOML"),
    ],
)
def test_margin_model_error_names_file_and_key_when_spec_is_bad(name, old, new, message):
    with pytest.raises(InputError) as caught:
        MarginModel.from_toml(mutated(name, old, new), what=f"circuits/{name}.toml")
    assert str(caught.value).startswith(f"circuits/{name}.toml: ")
    assert message in str(caught.value)


def test_margin_model_load_names_path_when_file_missing(tmp_path):
    with pytest.raises(InputError, match="no such margin model file"):
        MarginModel.load(tmp_path / "nope.toml")


@pytest.mark.parametrize("typed", ["span", "span.toml", "circuits/span"])
def test_margin_model_load_suggests_the_spec_file_when_named_without_its_folder_or_suffix(tmp_path, monkeypatch, typed):
    (tmp_path / "circuits").mkdir()
    (tmp_path / "circuits" / "span.toml").write_text((CIRCUITS / "span.toml").read_text())
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match=rf"^no such margin model file: {typed}; did you mean circuits/span\.toml\?$"):
        MarginModel.load(typed)


def test_margin_model_refuses_quoted_number_when_strict():
    with pytest.raises(InputError, match="span.vol_scan_range"):
        MarginModel.from_toml(mutated("span", "vol_scan_range = 0.25", 'vol_scan_range = "0.25"'))
