"""hogfer serve: the API through Flask's test client, the page in a real headless Chromium."""

import io
import os
import shutil
import socket
import threading
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("flask")

EMOTIONS = {"Angry", "Disgust", "Fear", "Happy", "Sad", "Surprise", "Neutral"}


def _astronaut():
    import cv2

    data = pytest.importorskip("skimage.data")
    return cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)


def _encode(image, suffix=".png"):
    import cv2

    ok, data = cv2.imencode(suffix, image)
    assert ok
    return data.tobytes()


@pytest.fixture(scope="module")
def client():
    from hogfer.apps.serve import create_app

    app = create_app(model="lgbm-pixels", max_upload_mb=1.0)
    return app.test_client()


def _post(client, data=None, filename="photo.png", **form):
    fields = dict(form)
    if data is not None:
        fields["image"] = (io.BytesIO(data), filename)
    return client.post("/api/predict", data=fields, content_type="multipart/form-data")


def test_predict_returns_every_face_with_probabilities_summing_to_one(client):
    image = _astronaut()
    response = _post(client, _encode(image))
    assert response.status_code == 200, response.json
    body = response.json
    assert body["model"] == "lgbm-pixels" and (body["width"], body["height"]) == (512, 512)
    (face,) = body["faces"]
    assert len(face["box"]) == 4 and 150 < face["box"][0] < 200 and set(face["probabilities"]) == EMOTIONS
    assert sum(face["probabilities"].values()) == pytest.approx(1.0, abs=1e-9)
    assert face["emotion"] == max(face["probabilities"], key=face["probabilities"].get)


@pytest.mark.parametrize("variant", ["rgba", "16-bit", "grey", "jpeg"])
def test_other_image_layouts_are_accepted(client, variant):
    import cv2

    image = _astronaut()
    data = {
        "rgba": lambda: _encode(cv2.cvtColor(image, cv2.COLOR_BGR2BGRA)),
        "16-bit": lambda: _encode(image.astype(np.uint16) * 257),
        "grey": lambda: _encode(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)),
        "jpeg": lambda: _encode(image, ".jpg"),
    }[variant]()
    response = _post(client, data)
    assert response.status_code == 200 and any(150 < f["box"][0] < 200 for f in response.json["faces"])  # her face


@pytest.mark.parametrize(
    "case, status, message",
    [
        ("not an image", 415, "not an image"),
        ("truncated", 415, "truncated or corrupt"),
        ("empty", 400, "empty"),
        ("oversized", 413, "larger than 1 MB"),
        ("no face", 422, "no face"),
        ("missing field", 400, "multipart field 'image'"),
        ("unknown model", 400, "unknown model"),
    ],
)
def test_bad_requests_get_one_clear_4xx_json_error(client, case, status, message):
    png = _encode(_astronaut())
    response = {
        "not an image": lambda: _post(client, b"hello, this is text", filename="photo.jpg"),
        "truncated": lambda: _post(client, png[: len(png) // 2]),
        "empty": lambda: _post(client, b""),
        "oversized": lambda: _post(client, np.random.default_rng(0).bytes(1_200_000)),
        "no face": lambda: _post(client, _encode(np.full((200, 300), 128, np.uint8))),
        "missing field": lambda: client.post("/api/predict", data={"photo": "x"}, content_type="multipart/form-data"),
        "unknown model": lambda: _post(client, png, model="no-such-model"),
    }[case]()
    assert response.status_code == status and response.is_json
    assert message in response.json["error"] and "Traceback" not in response.get_data(as_text=True)
    assert _post(client, png).status_code == 200  # and the server keeps serving


def test_models_page_and_openapi(client):
    models = client.get("/api/models").json["models"]
    assert models[0]["default"] and models[0]["name"] == "lgbm-pixels"
    assert {"xception", "lgbm-pixels"} <= {m["name"] for m in models}
    page = client.get("/")
    assert page.status_code == 200 and b'type="file"' in page.data and b"/static/app.js" in page.data
    assert b"http" not in client.get("/static/app.js").data.replace(b"https or localhost", b"")  # no CDN
    spec = client.get("/api/openapi.json").json
    assert spec["openapi"].startswith("3.") and "/api/predict" in spec["paths"]
    assert client.get("/static/../setup.cfg").status_code == 404


def test_a_request_can_choose_the_model(client):
    response = _post(client, _encode(_astronaut()), model="xception")
    assert response.status_code == 200 and response.json["model"] == "xception"


def test_uploads_are_not_written_to_disk(client, monkeypatch):
    import cv2
    import werkzeug.formparser

    def refuse(*args, **kwargs):
        raise AssertionError("an upload was spooled to a temporary file")

    monkeypatch.setattr(werkzeug.formparser, "SpooledTemporaryFile", refuse)
    photo = _encode(cv2.resize(_astronaut(), (600, 600)))  # over 500 KB: Werkzeug would spool it
    assert len(photo) > 520_000 and _post(client, photo).status_code == 200


def test_serve_cli_refuses_an_unknown_model_in_one_line():
    from click.testing import CliRunner

    from hogfer.cli import cli

    result = CliRunner().invoke(cli, ["serve", "--model", "no-such-model"])
    assert result.exit_code == 1 and result.output.startswith("Error:") and "Traceback" not in result.output


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server():
    """A real waitress server on loopback, in a thread, stopped after the test."""
    waitress = pytest.importorskip("waitress")
    from hogfer.apps.serve import create_app

    port = _free_port()
    server = waitress.create_server(create_app(), host="127.0.0.1", port=port, threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.close()
    thread.join(timeout=5)


def _chromium():
    browser, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (browser and driver):
        if os.environ.get("CI"):
            raise RuntimeError("chromium and chromium-driver must be installed in CI (.ci/run installs them)")
        pytest.skip("Debian's chromium and chromium-driver are not installed")
    return browser, driver


def test_the_page_in_a_real_browser(server, tmp_path):
    import cv2

    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    browser, driver_path = _chromium()
    photo = tmp_path / "two.jpg"
    head = cv2.resize(_astronaut()[20:260, 110:340], (460, 480))  # her head and shoulders, twice as large
    canvas = np.full((480, 920, 3), 200, np.uint8)
    canvas[:, :460] = head
    canvas[:, 460:] = cv2.flip(head, 1)
    cv2.imwrite(str(photo), canvas)
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
                 "--window-size=1280,900"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=driver_path), options=options)
    try:
        driver.get(server + "/")
        WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#model option"))
        driver.find_element(By.ID, "file").send_keys(str(photo))
        WebDriverWait(driver, 60).until(ec.visibility_of_element_located((By.CSS_SELECTOR, "#faces .face")))
        cards = driver.find_elements(By.CSS_SELECTOR, "#faces .face")
        assert len(cards) == 2
        for card in cards:
            bars = card.find_elements(By.CSS_SELECTOR, ".bar")
            assert len(bars) == 7 and all(b.find_element(By.CSS_SELECTOR, ".pct").text.endswith("%") for b in bars)
            top = card.find_element(By.CSS_SELECTOR, ".bar.top")
            share = float(top.find_element(By.CSS_SELECTOR, ".pct").text.rstrip("%")) / 100
            drawn = top.find_element(By.CSS_SELECTOR, ".fill").size["width"] / top.find_element(By.CSS_SELECTOR, ".track").size["width"]
            assert drawn == pytest.approx(share, abs=0.02)  # the bar is drawn, as long as its percentage says
        assert "2 faces found" in driver.find_element(By.ID, "message").text
        shot = Path(os.environ.get("HOGFER_SCREENSHOT", tmp_path / "page.png"))
        driver.save_screenshot(str(shot))
        assert shot.stat().st_size > 10_000
        # a bad upload: the page shows the server's message
        bad = tmp_path / "notes.png"
        bad.write_text("not a photo")
        driver.find_element(By.ID, "file").send_keys(str(bad))
        WebDriverWait(driver, 30).until(lambda d: "not an image" in d.find_element(By.ID, "message").text)
        assert "error" in driver.find_element(By.ID, "message").get_attribute("class")
    finally:
        driver.quit()
