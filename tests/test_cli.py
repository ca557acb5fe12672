import subprocess
import sys

from click.testing import CliRunner

from hogfer.cli import cli


def test_version_and_help():
    runner = CliRunner()
    assert runner.invoke(cli, ["--version"]).output.startswith("hogfer, version ")
    result = runner.invoke(cli, ["--help"])
    assert result.exit_code == 0 and "data" in result.output


def test_help_imports_no_heavy_library():
    code = (
        "import sys; from hogfer.cli import main\n"
        "try: main(['--help'])\nexcept SystemExit: pass\n"
        "import hogfer\n"
        "heavy = [m for m in ('keras', 'tensorflow', 'dlib', 'cv2', 'torch', 'jax') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


def test_data_info_prints_table_and_plot(small_csv, tmp_path):
    out = tmp_path / "dist.png"
    result = CliRunner().invoke(cli, ["data", "info", "--data", str(small_csv), "--plot", str(out)])
    assert result.exit_code == 0, result.output
    assert "| PrivateTest |" in result.output and "Disgust" in result.output
    assert out.read_bytes()[:4] == b"\x89PNG"


def test_data_info_bad_input_is_one_line_and_exit_1(tmp_path, monkeypatch):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    result = CliRunner().invoke(cli, ["data", "info", "--data", str(bad)])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and result.output.count("\n") == 1
    assert "Traceback" not in result.output
    monkeypatch.delenv("HOGFER_DATA", raising=False)
    result = CliRunner().invoke(cli, ["data", "info"])
    assert result.exit_code == 1 and "HOGFER_DATA" in result.output


def test_every_subpackage_is_installed():
    import configparser
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    cfg = configparser.ConfigParser()
    cfg.read(root / "setup.cfg")
    listed = set(cfg["options"]["packages"].split())
    found = {".".join(p.parent.relative_to(root).parts) for p in (root / "hogfer").rglob("__init__.py")}
    assert found <= listed, f"add to setup.cfg packages: {sorted(found - listed)}"
    assert {"hogfer.pipelines", "hogfer.shipped"} <= listed


def test_installed_metadata_declares_the_runtime_dependencies():
    from importlib import metadata

    requires = " ".join(metadata.requires("hogfer") or [])
    for name in ("scikit-learn", "scikit-image", "dlib-bin", "face-recognition-models", "lightgbm", "keras", "opencv-python", "click"):
        assert name in requires, f"{name} missing from hogfer's installed requirements"
