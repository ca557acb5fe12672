"""``hogfer`` commands that manage trained models: list, compress, attach ONNX copies, rescore."""

import click

from hogfer.cli._options import data_option

@click.command("onnx")
@click.argument("model_name", metavar="MODEL")
@data_option
@click.option("--out", type=click.Path(file_okay=False), default=None, help="Folder to write the model to; default: the user model cache.")
@click.option("--int8/--no-int8", default=True, show_default=True, help="Also make an 8-bit copy calibrated on 512 training faces.")
@click.option("--float/--no-float", "keep_float", default=True, show_default=True, help="Keep the float copy (--no-float saves its size).")
@click.option("--half-weights", is_flag=True, help="Store the Keras weights (explain, retraining) in float16: half their size.")
def onnx_command(model_name, data_path, out, int8, keep_float, half_weights):
    """Attach ONNX copies to the deep model MODEL (name or file) for fast CPU inference.

    The float copy is checked against Keras on validation faces, the 8-bit copy
    (7-bit weights, so every CPU computes it alike, and 8-bit activations
    calibrated on training faces) by how often it predicts Keras' class there;
    predictions then run under onnxruntime, on the 8-bit copy where there is
    one. Needs the export extra: pip install "hogfer[export]".
    """
    from hogfer.data.fer2013 import load_fer2013
    from hogfer.paths import cache_dir
    from hogfer.training.deep import add_onnx

    dataset = load_fer2013(data_path)
    out = out or cache_dir("models")
    card = add_onnx(model_name, dataset, out, int8=int8, keep_float=keep_float, half_weights=half_weights, allow_external=True)
    click.echo(f"{card.name}: {card.onnx_summary()}; wrote {out}/{card.name}.skops and .json")


@click.command("rescore")
@click.argument("model_name", metavar="MODEL")
@data_option
def rescore_command(model_name, data_path):
    """Score MODEL (name or file) again as it predicts now, and rewrite its JSON in place.

    For a model whose predictions changed without new weights (a deep model's
    test-time augmentation, its engine): validation and PrivateTest scores are
    measured again on the data file it was trained on; the old ones stay in the
    JSON under metrics_before_rescore. The model file is not touched.
    """
    from hogfer.data.fer2013 import load_fer2013
    from hogfer.training.deep import rescore_model, rescore_text

    card = rescore_model(model_name, load_fer2013(data_path), allow_external=True)
    click.echo(rescore_text(card))


@click.command("models")
def models_command():
    """List the trained models hogfer can find, and where; a model in an earlier folder shadows one of the same name."""
    from hogfer.store.files import all_model_files, list_models, model_dirs, read_metadata

    click.echo("Model folders, searched in this order: " + ", ".join(map(str, model_dirs())))
    used = list_models()
    for json_path in all_model_files():
        winner = used[json_path.stem]
        click.echo(read_metadata(json_path).listing(json_path, shadowed_by=None if winner == json_path else winner))


@click.command("compress")
@click.argument("model_name", metavar="MODEL")
@data_option
@click.option("--out", type=click.Path(file_okay=False), default=None, help="Folder to write the copy to; default: the user model cache (where it shadows the exact model).")
@click.option("--tolerance", type=click.FloatRange(0, 1), default=0.005, show_default=True, help="Validation accuracy the copy may lose.")
def compress_command(model_name, data_path, out, tolerance):
    """Compress the RBF SVM pipeline MODEL (name or file) into a small copy that predicts almost the same.

    The support vectors are projected on their principal components and
    quantised; the smallest setting within --tolerance of the exact model's
    validation accuracy is kept, and PrivateTest is scored for the record.
    """
    from hogfer.data.fer2013 import load_fer2013
    from hogfer.paths import cache_dir
    from hogfer.training.compress import compress_model, compress_text

    card = compress_model(model_name, load_fer2013(data_path), out or cache_dir("models"), tolerance=tolerance, allow_external=True)
    click.echo(compress_text(card))
