"""``hogfer serve``: a web page and a JSON API for the emotions of every face in a photo.

A Flask application (:func:`create_app`) served by waitress, a production WSGI
server in pure Python. The page (``GET /``) uploads a photo, or a webcam
snapshot, and draws every face's box, number and emotion probabilities; the
API (``POST /api/predict``, ``GET /api/models``, ``GET /api/openapi.json``)
answers JSON. Faces and emotions come from :class:`hogfer.faces.pipeline.FacePipeline`,
the same path as ``hogfer predict``.

Privacy and limits: an upload is read into memory, decoded there and dropped
(never written to disk, never logged); uploads over ``max_upload_mb`` are
refused before they are read. Every bad request gets a 4xx JSON answer
``{"error": "..."}`` with one clear message.
"""

import io
import logging
import threading
from importlib import resources

from hogfer.exceptions import HogferError

__all__ = ["create_app", "serve"]

logger = logging.getLogger(__name__)


def _openapi(max_upload_mb):
    error = {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]}
    face = {
        "type": "object",
        "properties": {
            "box": {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 4, "description": "left, top, right, bottom in pixels"},
            "probabilities": {"type": "object", "additionalProperties": {"type": "number"}, "description": "emotion -> probability; they sum to 1"},
            "emotion": {"type": "string"},
        },
    }
    errors = {code: {"description": text, "content": {"application/json": {"schema": error}}} for code, text in [
        ("400", "no image field, an empty upload or an unknown model"), ("413", f"an upload over {max_upload_mb:g} MB"),
        ("415", "not an image, or a truncated or corrupt one"), ("422", "no face in the image")]}
    return {
        "openapi": "3.0.3",
        "info": {"title": "hogfer", "description": "Emotions of every face in a photo (FER2013's seven emotions).", "version": "1"},
        "paths": {
            "/api/predict": {"post": {
                "summary": "Find every face in a photo and its emotion probabilities",
                "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                    "type": "object", "required": ["image"],
                    "properties": {"image": {"type": "string", "format": "binary"}, "model": {"type": "string", "description": "a name from /api/models"}},
                }}}},
                "responses": {"200": {"description": "the faces", "content": {"application/json": {"schema": {
                    "type": "object",
                    "properties": {"model": {"type": "string"}, "width": {"type": "integer"}, "height": {"type": "integer"},
                                   "faces": {"type": "array", "items": face}},
                }}}}, **errors},
            }},
            "/api/models": {"get": {"summary": "The emotion models, the default (most accurate by validation) first", "responses": {"200": {"description": "the models"}}}},
        },
    }


class _Models:
    """The trained emotion models, loaded on first use and kept (thread-safe)."""

    def __init__(self, default=None):
        self._lock = threading.Lock()
        self._loaded = {}
        self.default = default

    def listing(self):
        from hogfer.store.emotion import default_model_name
        from hogfer.store.files import iter_cards

        default = self.default or default_model_name()
        models = [
            {"name": name, "validation_accuracy": card.score("validation"), "test_accuracy": card.score("test"), "default": name == default}
            for name, _, card in iter_cards()
        ]
        models.sort(key=lambda m: (not m["default"], -(m["validation_accuracy"] or 0)))
        return models

    def get(self, name):
        from hogfer.store.emotion import EmotionModel, default_model_name

        name = name or self.default or default_model_name()
        with self._lock:
            if name not in self._loaded:
                if name not in {m["name"] for m in self.listing()}:
                    raise KeyError(name)
                self._loaded[name] = EmotionModel.load(name)
            return self._loaded[name]


def create_app(model=None, *, max_upload_mb=10.0, detector="hog", upsample=1, tilted=False):
    """The Flask application of ``hogfer serve``.

    Parameters
    ----------
    model : str, default=None
        The default emotion model's name; None: the most accurate by
        validation accuracy. Requests may choose any trained model.
    max_upload_mb : float, default=10.0
        Larger uploads are refused with 413.
    detector, upsample
        Passed to :class:`hogfer.faces.photos.PhotoSearch`.
    tilted : bool, default=False
        Also search copies turned 40 degrees either way (tilted heads; about
        four times slower).

    Returns
    -------
    flask.Flask
    """
    try:
        from flask import Flask, Request, jsonify, request, send_from_directory
    except ImportError:
        raise HogferError('the web page needs Flask: pip install "hogfer[web]"') from None
    from werkzeug.exceptions import HTTPException

    from hogfer.faces.photos import PhotoSearch, read_image
    from hogfer.faces.pipeline import FacePipeline

    class InMemoryRequest(Request):
        """Uploads stay in memory (Werkzeug spools large ones to a temporary file)."""

        def _get_file_stream(self, total_content_length, content_type, filename=None, content_length=None):
            return io.BytesIO()

    static = resources.files("hogfer.apps") / "static"
    app = Flask("hogfer", static_folder=None)
    app.request_class = InMemoryRequest
    app.json.sort_keys = False  # probabilities in the model's order of emotions
    app.config["MAX_CONTENT_LENGTH"] = int(max_upload_mb * 1024 * 1024)
    models = _Models(model)
    search = PhotoSearch(detector=detector, upsample=upsample, angles=(-40.0, 40.0) if tilted else ())

    def error(status, message):
        response = jsonify(error=message)
        response.status_code = status
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc):
        if exc.code == 413:
            return error(413, f"the upload is larger than {max_upload_mb:g} MB.")
        return error(exc.code, exc.description or exc.name)

    @app.errorhandler(Exception)
    def unexpected(exc):  # a bug: logged without the request's content, answered without a trace
        logger.exception("unexpected error in %s", request.path)
        return error(500, "internal error: the image could not be processed.")

    @app.get("/")
    def index():
        return send_from_directory(str(static), "index.html")

    @app.get("/static/<path:name>")
    def static_file(name):
        return send_from_directory(str(static), name)

    @app.get("/api/models")
    def list_models():
        return jsonify(models=models.listing())

    @app.get("/api/openapi.json")
    def openapi():
        return jsonify(_openapi(max_upload_mb))

    @app.post("/api/predict")
    def predict():
        upload = request.files.get("image")
        if upload is None:
            return error(400, "send the photo as the multipart field 'image'.")
        data = upload.read()
        if not data:
            return error(400, "the uploaded file is empty.")
        try:
            model = models.get(request.form.get("model") or None)
        except KeyError:
            return error(400, f"unknown model {request.form.get('model')!r}: see /api/models.")
        try:
            bgr, gray = read_image(data)
        except HogferError as exc:
            return error(415, str(exc).replace("image data: ", "the upload: "))
        faces = FacePipeline(search, model)(gray)
        height, width = gray.shape
        if not faces:
            return error(422, "no face found in the image.")
        return jsonify(
            model=model.name, width=width, height=height,
            faces=[{"box": [round(float(v), 1) for v in f.box], "probabilities": {k: float(v) for k, v in f.probabilities.items()}, "emotion": f.emotion}
                   for f in faces],
        )

    return app


def serve(host="127.0.0.1", port=8000, *, threads=4, **app_options):
    """Serve :func:`create_app` with waitress until interrupted."""
    try:
        import waitress
    except ImportError:
        raise HogferError('the web page needs waitress: pip install "hogfer[web]"') from None
    app = create_app(**app_options)
    waitress.serve(app, host=host, port=port, threads=threads, ident="hogfer")
