"""The ``hogfer`` command line: parse, call the library, print.

Heavy libraries (Keras, TensorFlow, dlib, OpenCV) are imported inside the
commands that use them, so ``hogfer --help`` answers instantly.
"""

import logging
import os
import sys

import click

from ._version import __version__
from .exceptions import HogferError

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}

data_option = click.option(
    "--data",
    "data_path",
    type=click.Path(path_type=str),
    default=None,
    help="FER2013 CSV (.csv or .csv.gz) or image folder; default: $HOGFER_DATA.",
)
classes_option = click.option(
    "--classes",
    type=click.Choice(["fer7", "fer6-merge", "fer6-drop"]),
    default="fer7",
    show_default=True,
    help="Label scheme: 7 classes, Disgust merged into Angry, or Disgust dropped.",
)


class _Group(click.Group):
    """A group that turns hogfer's input errors into one line and exit code 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except HogferError as exc:
            raise click.ClickException(str(exc)) from None
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(130)


@click.group(cls=_Group, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "-V", "--version", prog_name="hogfer")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
def cli(verbose):
    """hogfer: facial expression recognition on FER2013."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s: %(message)s")
    from .video import quiet_opencv

    quiet_opencv()


@cli.group(cls=_Group)
def data():
    """Inspect a FER2013 copy."""


@data.command("info")
@data_option
@classes_option
@click.option("--plot", type=click.Path(dir_okay=False), default=None, help="Also write a bar chart (PNG).")
def data_info(data_path, classes, plot):
    """Print the class distribution per usage."""
    from ._table import markdown_table
    from .datasets import load_fer2013

    dataset = load_fer2013(data_path, classes=classes)
    counts = dataset.class_counts()
    rows = [[usage, *c.tolist(), int(c.sum())] for usage, c in counts.items()]
    total = sum(counts.values())
    rows.append(["all", *total.tolist(), int(total.sum())])
    click.echo(f"{dataset.source} (sha256 {dataset.sha256[:12]}..., {classes})")
    click.echo(markdown_table(["usage", *dataset.emotions, "total"], rows))
    if plot:
        from .plots import plot_class_distribution

        plot_class_distribution(counts, dataset.emotions, plot)
        click.echo(f"Wrote {plot}")


jobs_option = click.option(
    "--jobs", "n_jobs", type=int, default=None, help="Parallel jobs (joblib); default: 1, or the joblib backend's."
)


@cli.command()
@click.argument("name")
@data_option
@classes_option
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder for NAME.skops and NAME.json; default: the user model cache.",
)
@jobs_option
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed of every random step.")
@click.option(
    "--balance",
    type=click.Choice(["auto", "on", "off"]),
    default="auto",
    show_default=True,
    help="Class weighting: auto keeps it only where it raises validation macro-F1.",
)
@click.option("--epochs", type=click.IntRange(min=1), default=None, help="Deep pipelines: most epochs (default 60).")
@click.option(
    "--learning-rate", type=click.FloatRange(min=0, min_open=True), default=None, help="Deep pipelines: Adam's initial learning rate (default 1e-3)."
)
@click.option(
    "--lr-schedule",
    type=click.Choice(["plateau", "cosine"]),
    default=None,
    help="Deep pipelines: halve on a validation plateau (default), or cosine decay over the epochs.",
)
@click.option(
    "--init-from",
    default=None,
    metavar="MODEL",
    help="Deep pipelines: start from a trained model's weights (name or path), layer by layer where names and shapes match.",
)
@click.option(
    "--distill-from",
    multiple=True,
    metavar="MODEL",
    help="Deep pipelines: also learn the mean predicted probabilities of this trained model (name or path) "
    "on the training faces (knowledge distillation); repeat for several teachers.",
)
@click.option(
    "--distill-weight",
    type=click.FloatRange(min=0, max=1),
    default=None,
    help="Deep pipelines: share of the teachers' probabilities in the training targets (default 0.5).",
)
@click.option("--quiet", is_flag=True, help="No progress bars.")
def train(
    name, data_path, classes, out, n_jobs, seed, balance, epochs, learning_rate, lr_schedule, init_from, distill_from,
    distill_weight, quiet,
):
    """Train pipeline NAME: fit on Training, choose on PublicTest, score PrivateTest.

    NAME is one of the pipelines listed by `hogfer pipelines`.
    """
    from ._progress import show_progress
    from .datasets import load_fer2013
    from .model_store import find_model, read_metadata, save_model
    from .paths import cache_dir
    from .pipelines import get_spec
    from .training import train_pipeline

    spec = get_spec(name)  # unknown names fail before the data loads
    given = {
        "epochs": epochs,
        "learning_rate": learning_rate,
        "lr_schedule": lr_schedule,
        "init_from": init_from,
        "distill_from": list(distill_from) or None,
        "distill_weight": distill_weight,
    }
    deep_params = {k: v for k, v in given.items() if v is not None} or None
    if deep_params and getattr(spec, "KIND", "classical") != "deep":
        options = ", ".join("--" + k.replace("_", "-") for k in deep_params)
        raise HogferError(f"{options}: for deep pipelines only; {name} is classical.")
    if init_from and not init_from.endswith(".keras"):
        find_model(init_from)  # a missing source fails before the data loads
    elif init_from and not os.path.isfile(init_from):
        raise HogferError(f"--init-from: no such file {init_from}.")
    if distill_weight is not None and not distill_from:
        raise HogferError("--distill-weight: give the teachers with --distill-from.")
    for teacher in distill_from:  # a missing or unfit teacher fails before the data loads
        taught = read_metadata(find_model(teacher)[0]).get("classes")
        if taught != classes:
            raise HogferError(f"--distill-from: {teacher} predicts the {taught} classes, not {classes}.")
    dataset = load_fer2013(data_path, classes=classes)
    with show_progress(not quiet):
        estimator, metadata = train_pipeline(
            name, dataset, n_jobs=n_jobs, random_state=seed, balance=balance, deep_params=deep_params
        )
    out = out or cache_dir("models")
    metadata = save_model(estimator, metadata, out, name)
    click.echo(_train_summary(metadata, out))
    if metadata.get("history"):
        from .plots import plot_history

        plot_history(metadata["history"], f"{out}/{name}.history.png", title=name)
        click.echo(f"  history: {out}/{name}.json (per epoch) and {name}.history.png")


def _train_summary(metadata, out):
    test, val = metadata["metrics"]["test"], metadata["metrics"]["validation"]
    if metadata.get("kind") == "deep":
        chosen = (
            f"  {metadata['epochs_run']} epochs, best on {metadata['split']['validation']} at epoch "
            f"{metadata['best_epoch']} ({metadata['backend']} backend), class balancing "
            f"{'on' if metadata['class_balancing'] else 'off'}"
        )
    else:
        chosen = (
            f"  chosen on {metadata['split']['validation']}: {metadata['chosen_params']}, "
            f"class balancing {'on' if metadata['class_balancing'] else 'off'}"
        )
    lines = [
        f"{metadata['pipeline']}: {metadata['description']}",
        chosen,
        *([f"  started from {init['source']} ({len(init['layers'])} layers)"] if (init := metadata.get("initialized_from")) else []),
        f"  validation accuracy {val['accuracy']:.2%}, macro-F1 {val['macro_f1']:.3f}",
    ]
    if test:
        lines.append(f"  PrivateTest accuracy {test['accuracy']:.2%}, macro-F1 {test['macro_f1']:.3f} (n={test['n']})")
    lines.append(f"  trained in {metadata['train_seconds']:.0f} s; model {metadata['size_bytes'] / 1e6:.2f} MB")
    if metadata.get("onnx"):
        lines.append("  " + _onnx_summary(metadata["onnx"]))
    lines.append(f"  wrote {out}/{metadata['name']}.skops and .json")
    return "\n".join(lines)


def _onnx_summary(info):
    """One line on a deep model's ONNX copies (the ``onnx`` entry of its metadata)."""
    if not info.get("exported"):
        return f"no ONNX copy ({info.get('reason')}); predictions run under Keras"
    parts = []
    if info.get("size_bytes"):
        parts.append(f"ONNX copy {info['size_bytes'] / 1e6:.2f} MB (max |difference| from Keras {info['max_abs_diff_vs_keras']:.1e})")
    if info.get("int8", {}).get("made") is False:
        parts.append(f"no 8-bit copy ({info['int8']['reason']})")
    elif info.get("int8"):
        q = info["int8"]
        parts.append(
            f"8-bit copy {q['size_bytes'] / 1e6:.2f} MB (same class as Keras on {q['class_agreement_vs_keras']:.1%} "
            f"of {info.get('n_check_faces', 'the')} validation faces; "
            + ("predictions use it)" if q.get("weight_bits") == 7 else "8-bit weights: used only on CPUs with VNNI or on ARM)")
        )
    return "; ".join(parts)


@cli.command()
@click.option("--all", "all_", is_flag=True, help="Every pipeline of the table.")
@click.option("--only", multiple=True, metavar="NAME", help="Only this pipeline (repeatable).")
@data_option
@classes_option
@click.option("--retrain", is_flag=True, help="Train every classical pipeline from scratch first.")
@jobs_option
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed when training.")
@click.option(
    "--out", type=click.Path(file_okay=False), default="benchmarks", show_default=True, help="Folder for the results."
)
@click.option(
    "--readme",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    help="Also put the table into this README, between its bench markers.",
)
@click.option(
    "--update",
    is_flag=True,
    help="With --only: score just those rows (and the ensemble, with a deep one) and put them into OUT/results.json, "
    "keeping its other rows; each row then names the run that scored it.",
)
@click.option("--quiet", is_flag=True, help="No progress bars.")
def bench(all_, only, data_path, classes, retrain, n_jobs, seed, out, readme, update, quiet):
    """Score every pipeline on PrivateTest in one table (results.md/.csv/.json, PNGs).

    Models come from the model folders (`hogfer models`); a classical pipeline
    without one is trained first. Failed rows are marked and the run goes on;
    the exit code is 1 if any row failed.
    """
    from pathlib import Path

    from ._progress import show_progress
    from .bench import load_results, merge_results, run_benchmark, update_readme, with_dependent_rows, write_results

    if not all_ and not only:
        raise click.UsageError("Say --all, or --only NAME for each pipeline to score.")
    previous = None
    if update:
        if all_ or not only:
            raise click.UsageError("--update goes with --only NAME (the rows to score again), not --all.")
        results_path = Path(out) / "results.json"
        if not results_path.is_file():
            raise HogferError(f"--update: no {results_path} to update; run `hogfer bench --all` first.")
        previous = load_results(results_path)
        if previous.get("classes") != classes:
            raise HogferError(f"--update: {results_path} scores the {previous.get('classes')} classes, not {classes}.")
        only = with_dependent_rows(only)
    with show_progress(not quiet):
        results = run_benchmark(
            data_path, names=None if all_ else list(only), classes=classes, retrain=retrain, n_jobs=n_jobs, random_state=seed
        )
    if previous is not None:
        results = merge_results(previous, results)
    write_results(results, out)
    from .bench import render_table

    table, caption = render_table(results)
    click.echo(f"{caption}\n\n{table}\n\nWrote {out}/results.md, results.csv, results.json and PNGs.")
    if readme:
        changed = update_readme(readme, results)
        click.echo(f"{'Updated' if changed else 'Unchanged'}: the table in {readme}")
    failed = [r["pipeline"] for r in results["rows"] if r["status"] == "failed"]
    if failed:
        raise click.ClickException(f"{len(failed)} pipeline(s) failed: {', '.join(failed)} (see notes in the table).")


@cli.command()
@click.option(
    "--results",
    type=click.Path(dir_okay=False, exists=True),
    default="benchmarks/results.json",
    show_default=True,
    help="results.json written by `hogfer bench`.",
)
@click.option(
    "--readme", type=click.Path(dir_okay=False, exists=True), default="README.md", show_default=True, help="README to update."
)
def report(results, readme):
    """Regenerate results.md/.csv, the PNGs and the README's table from results.json (no new run)."""
    from pathlib import Path

    from .bench import load_results, update_readme, write_results

    data = load_results(results)
    write_results(data, Path(results).parent)
    changed = update_readme(readme, data)
    click.echo(f"Rewrote the files beside {results}; {'updated' if changed else 'unchanged'}: the table in {readme}")


@cli.command("onnx")
@click.argument("model_name", metavar="MODEL")
@data_option
@click.option("--out", type=click.Path(file_okay=False), default=None, help="Folder to write the model to; default: the user model cache.")
@click.option("--int8/--no-int8", default=True, show_default=True, help="Also make an 8-bit copy calibrated on 512 training faces.")
@click.option("--float/--no-float", "keep_float", default=True, show_default=True, help="Keep the float copy (--no-float saves its size).")
def onnx_command(model_name, data_path, out, int8, keep_float):
    """Attach ONNX copies to the deep model MODEL (name or file) for fast CPU inference.

    The float copy is checked against Keras on validation faces, the 8-bit copy
    (7-bit weights, so every CPU computes it alike, and 8-bit activations
    calibrated on training faces) by how often it predicts Keras' class there;
    predictions then run under onnxruntime, on the 8-bit copy where there is
    one. Needs the export extra: pip install "hogfer[export]".
    """
    from .datasets import load_fer2013
    from .paths import cache_dir
    from .deep_training import add_onnx

    dataset = load_fer2013(data_path)
    out = out or cache_dir("models")
    metadata = add_onnx(model_name, dataset, out, int8=int8, keep_float=keep_float, allow_external=True)
    click.echo(f"{metadata['name']}: {_onnx_summary(metadata['onnx'])}; wrote {out}/{metadata['name']}.skops and .json")


@cli.command("rescore")
@click.argument("model_name", metavar="MODEL")
@data_option
def rescore_command(model_name, data_path):
    """Score MODEL (name or file) again as it predicts now, and rewrite its JSON in place.

    For a model whose predictions changed without new weights (a deep model's
    test-time augmentation, its engine): validation and PrivateTest scores are
    measured again on the data file it was trained on; the old ones stay in the
    JSON under metrics_before_rescore. The model file is not touched.
    """
    from .datasets import load_fer2013
    from .deep_training import rescore_model

    metadata = rescore_model(model_name, load_fer2013(data_path), allow_external=True)
    before = metadata["metrics_before_rescore"][-1]["metrics"]

    def change(split, label):
        now, was = ((m.get(split) or {}).get("accuracy") for m in (metadata["metrics"], before))
        return f"{label} {now:.2%} (was {was:.2%})" if now is not None and was is not None else f"{label} n/a"

    tta = f", TTA {metadata['predict_tta']}" if metadata.get("predict_tta") else ""
    click.echo(f"{metadata['name']}{tta}: {change('validation', 'validation')}, {change('test', 'PrivateTest')}")


@cli.command("models")
def models_command():
    """List the trained models hogfer can find, and where."""
    from .model_store import list_models, model_dirs, read_metadata

    click.echo("Model folders: " + ", ".join(map(str, model_dirs())))
    for name, json_path in list_models().items():
        meta = read_metadata(json_path)
        acc = ((meta.get("metrics") or {}).get("test") or {}).get("accuracy")
        acc_text = f"{acc:.2%}" if acc is not None else "n/a"
        click.echo(f"{name:22s} PrivateTest {acc_text:>7s}  {meta['size_bytes'] / 1e6:6.2f} MB  {json_path}")


model_option = click.option(
    "--model",
    "model_name",
    default=None,
    metavar="NAME|PATH|none",
    help="Emotion model: a trained model's name or file; default: the most accurate by validation (live: the most accurate fast enough, timed on this machine); none: no emotions.",
)


def _load_emotion_model(model_name, *, for_video=False):
    from .emotion import EmotionModel

    if model_name and model_name.lower() == "none":
        return None
    if model_name is None and for_video:
        return EmotionModel.load_for_video()
    explicit = model_name is not None and ("/" in model_name or model_name.endswith((".json", ".skops", ".keras")))
    return EmotionModel.load(model_name, allow_external=explicit)


@cli.command()
@click.option("--source", default="0", show_default=True, help="Camera index, video file or stream URL.")
@click.option("--blinks", is_flag=True, help="Count blinks (and winks) per face.")
@model_option
@click.option("--output", type=click.Path(dir_okay=False), default=None, help="Write the annotated video here (.mp4).")
@click.option("--events", type=click.Path(dir_okay=False), default=None, help="Write events as JSON lines here.")
@click.option("--no-display", is_flag=True, help="Do not open a window.")
@click.option("--max-frames", type=click.IntRange(min=1), default=None, help="Stop after N frames.")
@click.option("--min-face", type=click.IntRange(min=20), default=40, show_default=True, help="Smallest face (pixels wide) the search finds, at any resolution.")
@click.option("--search-every", type=click.IntRange(min=1), default=20, show_default=True, help="Frames between full-frame searches for new faces.")
@click.option("--quiet", is_flag=True, help="No progress bar for a video file.")
def live(source, blinks, model_name, output, events, no_display, max_frames, min_face, search_every, quiet):
    """Emotions (and blinks) of every face in a webcam or video, live.

    Ends at the end of the video, on q or Esc in the window, or on Ctrl-C,
    always with complete output files and a summary.
    """
    from ._progress import progress_bar, show_progress
    from .live import FrameProcessor, run_live
    from .tracking import FaceTracker
    from .video import EventLog, VideoFileSink, VideoSource, WindowSink

    model = _load_emotion_model(model_name, for_video=True)
    window = None
    if not no_display:
        if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            click.echo("No display found: running without a window (pass --no-display to silence this).", err=True)
        else:
            window = WindowSink()
    tracker = FaceTracker(min_face=min_face, search_every=search_every, search_lag=min(16, search_every))
    with VideoSource(source) as src:
        processor = FrameProcessor(model, fps=src.fps, blinks=blinks, tracker=tracker)
        video_sink = VideoFileSink(output, src.fps, src.size) if output else None
        event_log = EventLog(events) if events else None
        total = min(src.frame_count or 0, max_frames or src.frame_count or 0) or None
        with show_progress(not quiet and not src.is_camera), progress_bar(total=total, desc="frames", unit="frame") as bar:
            summary = run_live(src, processor, video_sink=video_sink, event_log=event_log, window=window,
                               max_frames=max_frames, on_result=lambda _: bar.update())
    click.echo(_live_summary(summary, model, blinks))
    if output:
        click.echo(f"Wrote {output}")
    if events:
        click.echo(f"Wrote {events}")


def _live_summary(summary, model, blinks):
    from .emotion import tta_label

    model_text = model.name if model else "none"
    if model is not None and model.face_ms is not None:
        tta = "" if model.tta is None else f", TTA {tta_label(model.tta)}"
        model_text += f" (timed here: {model.face_ms:.1f} ms a face{tta})"
    lines = [
        f"{summary['frames']} frames in {summary['seconds']:.1f} s ({summary['mean_fps']} fps), ended: {summary['ended']}; "
        f"emotion model: {model_text}",
        "ms per frame: " + ", ".join(f"{k} {v:.1f}" for k, v in summary["stage_ms_per_frame"].items()),
    ]
    for face_id, item in summary["faces"].items():
        text = f"face #{face_id}: {item['frames']} frames"
        if blinks:
            text += f", {item['blinks']} blinks ({item['blinks_per_minute']}/min), {item['winks']} winks"
        if item.get("main_emotion"):
            text += f", mostly {item['main_emotion']}"
        lines.append(text)
    if not summary["faces"]:
        lines.append("no face found")
    return "\n".join(lines)


detector_option = click.option(
    "--detector", type=click.Choice(["hog", "cnn"]), default="hog", show_default=True,
    help="dlib's HOG face detector (with tilted copies), or its CNN detector (finds more turned faces; seconds a photo).",
)


@cli.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path())
@model_option
@detector_option
@click.option("--upsample", type=click.IntRange(min=0, max=3), default=1, show_default=True, help="Times the image is doubled before the search (smaller faces, slower).")
@click.option("--output-dir", type=click.Path(file_okay=False), default=None, help="Annotated copies and predictions.json go here.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def predict(inputs, model_name, detector, upsample, output_dir, as_json):
    """Emotion of every face in images or folders of images.

    Exit code 1 if an input could not be read or no face was found at all.
    """
    import json

    from ._io import atomic_path
    from ._progress import show_progress
    from .predict import collect_images, predict_images

    paths = collect_images(inputs)
    model = _load_emotion_model(model_name)
    with show_progress(not as_json and len(paths) > 1):
        results = predict_images(paths, model, output_dir=output_dir, detector=detector, upsample=upsample)
    if output_dir:
        with atomic_path(f"{output_dir}/predictions.json") as tmp:
            tmp.write_text(json.dumps(results, indent=1) + "\n")
    if as_json:
        click.echo(json.dumps(results, indent=1))
    else:
        click.echo(f"emotion model: {_model_line(model)}")
        for r in results:
            if r.get("error"):
                click.echo(f"{r['file']}: {r['error']}")
            elif not r["faces"]:
                click.echo(f"{r['file']}: no face found")
            for f in r["faces"]:
                label = f" {f['emotion']} {f['probability']:.0%}" if "emotion" in f else ""
                box = ",".join(str(int(v)) for v in f["box"])
                click.echo(f"{r['file']}: face #{f['id']} at {box}{label}")
        if output_dir:
            click.echo(f"Wrote annotated images and {output_dir}/predictions.json")
    unreadable = [r["file"] for r in results if r.get("error")]
    if unreadable:
        raise click.ClickException(f"{len(unreadable)} input(s) could not be read: {', '.join(unreadable[:5])}")
    if not any(r["faces"] for r in results):
        raise click.ClickException("No face found in any input.")


def _model_line(model):
    if model is None:
        return "none"
    val = ((model.metadata.get("metrics") or {}).get("validation") or {}).get("accuracy")
    return model.name + (f" (validation accuracy {val:.1%})" if val is not None else "")


@cli.command()
@click.argument("image", type=click.Path(exists=True, dir_okay=False))
@click.option("--model", "model_name", default="xception", show_default=True, help="A trained xception or hybrid model (name or file).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default="heatmap.png", show_default=True, help="Output PNG.")
@click.option("--max-faces", type=click.IntRange(min=1), default=4, show_default=True, help="Explain at most this many faces.")
def explain(image, model_name, output, max_faces):
    """Grad-CAM: which regions of each face in IMAGE drive the deep model's emotion.

    A 48x48 image is taken as a face crop; in any other image the faces are
    detected and aligned first.
    """
    from .exceptions import HogferError
    from .faces import find_faces, read_image
    from .model_store import load_model
    from .plots import plot_explanations

    explicit = "/" in model_name or model_name.endswith((".json", ".skops"))
    estimator, meta = load_model(model_name, allow_external=explicit)
    if not hasattr(estimator, "model_"):
        raise HogferError(f"{model_name}: Grad-CAM explains deep models (xception, hybrid); this one is {meta.get('kind', 'classical')}.")
    _, gray = read_image(image)
    if gray.shape == (48, 48):
        crops = [gray]
    else:
        crops = [f.crop for f in find_faces(gray)[:max_faces]]
        if not crops:
            raise HogferError(f"{image}: no face found.")
    from .deep.explain import grad_cam

    names = [meta["emotions"][int(k)] for k in estimator.classes_]  # the classes the model saw, in its order
    items = []
    for crop in crops:
        features = estimator.features_.transform(crop[None])[0] if getattr(estimator, "features_", None) is not None else None
        heatmap, probs, c = grad_cam(estimator.model_, crop, features=features)
        items.append({"face": crop, "heatmap": heatmap, "probabilities": probs, "class_index": c})
        click.echo(f"face {len(items)}: {names[c]} {probs[c]:.0%}")
    plot_explanations(items, names, output)
    click.echo(f"Wrote {output}")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (the default: this machine only).")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--model", "model_name", default=None, metavar="NAME", help="Default emotion model; default: the most accurate by validation.")
@click.option("--max-upload-mb", type=click.FloatRange(min=0.01), default=10.0, show_default=True, help="Larger uploads are refused.")
@detector_option
@click.option("--upsample", type=click.IntRange(min=0, max=3), default=1, show_default=True, help="Times the photo is doubled before the search.")
@click.option("--tilted/--no-tilted", default=False, show_default=True, help="Also search copies turned 40 degrees (tilted heads; about 4x slower).")
@click.option("--threads", type=click.IntRange(min=1), default=4, show_default=True, help="Requests served at once.")
def serve(host, port, model_name, max_upload_mb, detector, upsample, tilted, threads):
    """A web page (and JSON API) to upload a photo and see every face's emotions.

    Needs the web extra: pip install "hogfer[web]".
    """
    from .serve import serve as run_server

    if model_name is not None:
        _load_emotion_model(model_name)  # an unknown name fails here, in one line
    click.echo(f"hogfer serving on http://{host}:{port}/ (Ctrl-C stops)")
    run_server(host, port, threads=threads, model=model_name, max_upload_mb=max_upload_mb,
               detector=detector, upsample=upsample, tilted=tilted)


@cli.command("pipelines")
def pipelines_command():
    """List the named pipelines."""
    from .pipelines import get_spec, list_pipelines

    for name in list_pipelines():
        click.echo(f"{name:22s} {get_spec(name).DESCRIPTION}")


def main(argv=None):
    """Entry point of the ``hogfer`` console script."""
    return cli.main(args=argv, prog_name="hogfer")


if __name__ == "__main__":  # pragma: no cover
    main()
