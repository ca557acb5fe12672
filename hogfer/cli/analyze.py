"""``hogfer analyze``: a video or a folder of images as a table of faces, frame by frame."""

import click

from hogfer.cli._options import model_option, progress_wanted


@click.command("analyze")
@click.argument("source", metavar="VIDEO_OR_FOLDER", type=click.Path(exists=True))
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), required=True, help="The table: one row per face per frame (or image).")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), default=None, help="A timeline of each face's emotions and blinks (.png, .svg, .pdf).")
@model_option
@click.option("--blinks/--no-blinks", default=True, show_default=True, help="Videos: find blinks and winks (the event column).")
@click.option("--max-frames", type=click.IntRange(min=1), default=None, help="Videos: stop after N frames.")
@click.option("--min-face", type=click.IntRange(min=20), default=40, show_default=True, help="Videos: smallest face (pixels wide) the search finds.")
@click.option("--cropped", is_flag=True, help="Images: each is one face, cut as FER2013's are: no search.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def analyze_command(source, csv_path, plot_path, model_name, blinks, max_frames, min_face, cropped, quiet):
    """Every face in every frame of a video (or in every image of a folder), as a CSV.

    Columns: source, time_s, frame, face_id, the box, p_<emotion> for each of
    the model's emotions, emotion, ear_left and ear_right (eye aspect ratios),
    and event (blink, wink_left, wink_right, eyes_closed) on the row of the
    face's last closed-eye frame. The faces and blinks are those `hogfer live`
    finds on the same video. Exit code 1 if no face was found.
    """
    from hogfer._progress import show_progress
    from hogfer.apps.analyze import analyze, report_text
    from hogfer.faces.tracking import FaceTracker
    from hogfer.store.emotion import load_emotion_model

    model = load_emotion_model(model_name)
    tracker = FaceTracker(min_face=min_face)
    with show_progress(progress_wanted(quiet)):
        report = analyze(source, model, csv_path=csv_path, plot_path=plot_path, blinks=blinks, tracker=tracker,
                         max_frames=max_frames, cropped=cropped)
    click.echo(report_text(report, csv_path, plot_path, model))
    if not report["rows"]:
        raise click.ClickException(f"No face found in {source}.")
