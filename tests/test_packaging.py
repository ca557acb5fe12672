"""The package's dependencies: a light core, extras for the rest, declared equal to imported."""

import ast
import configparser
import subprocess
import sys
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
# import name -> distribution, where they differ
DISTRIBUTION = {"PIL": "pillow", "cv2": "opencv-python", "dlib": "dlib-bin", "sklearn": "scikit-learn"}
# used without an import statement: dlib's landmark model file, Keras' ONNX exporter, TensorFlow's
# small wheel, and Dask, a joblib backend the user chooses (`joblib.parallel_backend("dask")`)
USED_WITHOUT_IMPORT = {"face-recognition-models", "tf2onnx", "tensorflow-cpu", "dask"}
HEAVY = ("tensorflow", "keras", "cv2", "dlib", "onnxruntime", "onnx", "tf2onnx", "lightgbm", "flask", "waitress", "dask")


def _declared():
    """Distribution names of install_requires and every extra but test (and gpu, a variant of deep)."""
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    lines = config["options"]["install_requires"].splitlines()
    extras = config["options.extras_require"]
    lines += [line for name in extras if name not in ("test", "gpu") for line in extras[name].splitlines()]
    names = {Requirement(line).name.lower() for line in lines if line.strip() and not line.strip().startswith("#")}
    return names - {"hogfer"}


def _imported():
    std = set(sys.stdlib_module_names)
    found = set()
    for folder in ("hogfer", "pipelines"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    found |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    found.add(node.module.split(".")[0])
    return {DISTRIBUTION.get(name, name).lower() for name in found - std - {"hogfer", "pipelines"}}


def test_declared_dependencies_are_those_imported():
    declared, imported = _declared(), _imported()
    assert imported - declared == set(), "imported but not declared"
    assert declared - imported - USED_WITHOUT_IMPORT == set(), "declared but never imported"


def test_the_core_imports_without_the_extras():
    # a process where the extras' modules cannot be imported: the features and the data still work
    code = f"""
import importlib.abc, sys
class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {HEAVY!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
sys.meta_path.insert(0, Refuse())
import numpy as np
import hogfer
faces = np.random.default_rng(0).integers(0, 256, (3, 48, 48)).astype("uint8")
print(hogfer.HOGFeatures().fit_transform(faces).shape, hogfer.SlidingWindowHOG().fit_transform(faces).shape[0],
      hogfer.PixelFeatures().fit_transform(faces).shape, callable(hogfer.load_fer2013), hogfer.HogferError.__name__)
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split()[-1] == "HogferError"


def test_a_command_whose_extra_is_missing_names_the_extra():
    import click
    from click.testing import CliRunner

    from hogfer.cli._options import HogferGroup

    def needs_opencv():
        raise ModuleNotFoundError("No module named 'cv2'", name="cv2")

    group = HogferGroup(commands={"draw": click.Command("draw", callback=needs_opencv)})
    result = CliRunner().invoke(group, ["draw"])
    assert result.exit_code == 1 and 'pip install "hogfer[faces]"' in result.output
    assert "Traceback" not in result.output
