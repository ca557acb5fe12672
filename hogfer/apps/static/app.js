// hogfer serve: upload a photo (or a webcam snapshot), draw every face and its emotions.
"use strict";
const $ = (id) => document.getElementById(id);
const form = $("upload"), fileInput = $("file"), drop = $("drop"), message = $("message");
const modelSelect = $("model"), canvas = $("canvas"), facesBox = $("faces"), result = $("result");

function say(text, isError) {
  message.textContent = text;
  message.className = isError ? "error" : "";
}

async function loadModels() {
  try {
    const response = await fetch("/api/models");
    const { models } = await response.json();
    for (const m of models) {
      const option = document.createElement("option");
      option.value = m.name;
      const acc = m.validation_accuracy == null ? "" : ` (validation ${(100 * m.validation_accuracy).toFixed(1)}%)`;
      option.textContent = m.name + acc;
      option.selected = m.default;
      modelSelect.appendChild(option);
    }
  } catch (err) {
    say("Could not list the models: " + err, true);
  }
}

function drawFaces(image, data) {
  canvas.width = data.width;
  canvas.height = data.height;
  const ctx = canvas.getContext("2d");
  ctx.drawImage(image, 0, 0, data.width, data.height);
  const unit = Math.max(1, Math.min(data.width, data.height) / 400);
  ctx.lineWidth = 3 * unit;
  ctx.font = `bold ${Math.round(16 * unit)}px system-ui, sans-serif`;
  data.faces.forEach((face, i) => {
    const [x0, y0, x1, y1] = face.box;
    ctx.strokeStyle = "#2f9e58";
    ctx.strokeRect(x0, y0, x1 - x0, y1 - y0);
    const label = `#${i + 1} ${face.emotion}`;
    const w = ctx.measureText(label).width + 10 * unit, h = 22 * unit;
    const top = Math.max(0, y0 - h);
    ctx.fillStyle = "rgba(20,24,32,.85)";
    ctx.fillRect(x0, top, w, h);
    ctx.fillStyle = "#fff";
    ctx.fillText(label, x0 + 5 * unit, top + 16 * unit);
  });
}

function faceCard(face, i) {
  const card = document.createElement("article");
  card.className = "face";
  const title = document.createElement("h2");
  title.innerHTML = `Face #${i + 1}: <span></span>`;
  title.querySelector("span").textContent = `${face.emotion} ${(100 * face.probabilities[face.emotion]).toFixed(0)}%`;
  card.appendChild(title);
  for (const [name, p] of Object.entries(face.probabilities)) {
    const row = document.createElement("div");
    row.className = "bar" + (name === face.emotion ? " top" : "");
    row.innerHTML = '<span class="name"></span><span class="track"><span class="fill"></span></span><span class="pct"></span>';
    row.querySelector(".name").textContent = name;
    row.querySelector(".fill").style.width = `${(100 * p).toFixed(1)}%`;
    row.querySelector(".pct").textContent = `${(100 * p).toFixed(1)}%`;
    card.appendChild(row);
  }
  return card;
}

async function analyse(blob, name) {
  say(`Looking for faces in ${name}…`);
  result.hidden = true;
  const body = new FormData();
  body.append("image", blob, name);
  if (modelSelect.value) body.append("model", modelSelect.value);
  let response, data;
  try {
    response = await fetch("/api/predict", { method: "POST", body });
    data = await response.json();
  } catch (err) {
    say("The server did not answer: " + err, true);
    return;
  }
  if (!response.ok) {
    say(data.error || `Error ${response.status}`, true);
    return;
  }
  const url = URL.createObjectURL(blob);
  const image = new Image();
  image.onload = () => {
    drawFaces(image, data);
    URL.revokeObjectURL(url);
    facesBox.replaceChildren(...data.faces.map(faceCard));
    result.hidden = false;
    const n = data.faces.length;
    say(`${n} face${n === 1 ? "" : "s"} found, emotions by ${data.model}.`);
  };
  image.onerror = () => {  // a format the browser cannot show (e.g. TIFF): the bars alone
    facesBox.replaceChildren(...data.faces.map(faceCard));
    result.hidden = false;
    say(`${data.faces.length} face(s) found by ${data.model}; this browser cannot show the photo itself.`);
  };
  image.src = url;
}

fileInput.addEventListener("change", () => {
  if (fileInput.files.length) analyse(fileInput.files[0], fileInput.files[0].name);
});
for (const type of ["dragenter", "dragover"]) {
  drop.addEventListener(type, (e) => { e.preventDefault(); drop.classList.add("over"); });
}
for (const type of ["dragleave", "drop"]) {
  drop.addEventListener(type, (e) => { e.preventDefault(); drop.classList.remove("over"); });
}
drop.addEventListener("drop", (e) => {
  const file = e.dataTransfer.files[0];
  if (file) analyse(file, file.name);
});
form.addEventListener("submit", (e) => e.preventDefault());

const video = $("video"), cameraButton = $("camera"), snapButton = $("snap");
if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
  cameraButton.disabled = true;
  cameraButton.title = "This browser gives no camera here (it needs https or localhost).";
}
cameraButton.addEventListener("click", async () => {
  try {
    video.srcObject = await navigator.mediaDevices.getUserMedia({ video: true });
    video.hidden = false;
    snapButton.hidden = false;
  } catch (err) {
    say("No camera: " + err.message, true);
  }
});
snapButton.addEventListener("click", () => {
  const shot = document.createElement("canvas");
  shot.width = video.videoWidth;
  shot.height = video.videoHeight;
  shot.getContext("2d").drawImage(video, 0, 0);
  shot.toBlob((blob) => analyse(blob, "the snapshot"), "image/jpeg", 0.92);
});

loadModels();
