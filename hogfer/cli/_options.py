"""Options and the error-handling group shared by hogfer's commands."""

import re
import sys

import click

from hogfer.exceptions import HogferError

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}

data_option = click.option("--data", "data_path", type=click.Path(path_type=str), default=None,
                           help="FER2013 CSV (.csv or .csv.gz), image folder, or array file (.npz, `hogfer data pack`); default: $HOGFER_DATA.")
classes_option = click.option("--classes", type=click.Choice(["fer7", "fer6-merge", "fer6-drop"]), default="fer7", show_default=True,
                              help="Label scheme: 7 classes, Disgust merged into Angry, or Disgust dropped.")


def progress_wanted(quiet):
    """Progress bars unless asked not to, or unless stderr is no terminal (a log file gets no escape codes)."""
    return not quiet and sys.stderr.isatty()


#: The optional modules, and the extra (setup.cfg) that installs each.
EXTRA_OF_MODULE = {"dlib": "faces", "cv2": "faces", "keras": "deep", "tensorflow": "deep", "onnxruntime": "deep",
                   "lightgbm": "lightgbm", "onnx": "export", "tf2onnx": "export", "flask": "web", "werkzeug": "web",
                   "waitress": "web", "dask": "dask", "distributed": "dask"}


class HogferGroup(click.Group):
    """A group that turns hogfer's input errors into one line and exit code 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except HogferError as exc:
            raise click.ClickException(str(exc)) from None
        except ModuleNotFoundError as exc:
            extra = EXTRA_OF_MODULE.get((exc.name or "").split(".")[0])
            if extra is None:
                raise
            raise click.ClickException(f"this needs {exc.name}, from hogfer's {extra!r} extra: pip install \"hogfer[{extra}]\"") from None
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(130)



model_option = click.option("--model", "model_name", default=None, metavar="NAME|PATH|none", help=(
    "Emotion model: a trained model's name or file; default: the most accurate by validation within "
    "50 ms a face, fusions by name only (live: the most accurate fast enough, timed on this machine); none: no emotions."))


class Duration(click.ParamType):
    """A duration such as ``3h``, ``90m``, ``5400s`` or ``1.5h``, as seconds."""

    name = "duration"
    _UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0}

    def convert(self, value, param, ctx):
        if isinstance(value, float):
            return value
        match = re.fullmatch(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([hms])\s*", str(value))
        if not match or float(match.group(1)) <= 0:
            self.fail(f"{value!r} is not a duration such as 3h, 90m or 5400s", param, ctx)
        return float(match.group(1)) * self._UNITS[match.group(2)]
