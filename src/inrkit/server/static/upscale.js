// inrkit's page, the LIIF panel: upload, scale or size, progress, the comparison and its loupe.
"use strict";

// ----- upscale ------------------------------------------------------------------------------
const up = {
  file: null,
  stem: "image",
  inW: 0, // input size, 0 when the browser cannot decode the file (the server may)
  inH: 0,
  mode: "scale", // "scale": send the slider's factor; "size": send width and height
  inputURL: null,
  resultURL: null,
  controller: null, // AbortController of the upscale in flight
  timer: 0,
  split: 50, // divider position, percent from the left
  beforeCanvas: null, // the input drawn at the result's size, for the loupe
};
const el = {
  drop: $("drop"),
  file: $("file"),
  info: $("input-info"),
  fields: $("size-fields"),
  scale: $("scale"),
  scaleOut: $("scale-out"),
  width: $("width"),
  height: $("height"),
  keep: $("keep-aspect"),
  sizeInfo: $("size-info"),
  go: $("upscale-button"),
  cancel: $("cancel-button"),
  download: $("download"),
  progress: $("progress"),
  status: $("status-text"),
  error: $("upscale-error"),
  placeholder: $("placeholder"),
  compare: $("compare"),
  before: $("before"),
  after: $("after"),
  divider: $("divider"),
  loupe: $("loupe"),
  loupeOn: $("loupe-on"),
  loupeZoom: $("loupe-zoom"),
};

/** The output (width, height) the current controls ask for, or null if unknown. */
function wantedSize() {
  if (up.mode === "size") {
    const w = parseInt(el.width.value, 10);
    const h = parseInt(el.height.value, 10);
    return w >= 1 && h >= 1 ? [w, h] : null;
  }
  if (!up.inW) return null;
  const s = parseFloat(el.scale.value);
  return [roundHalfUp(up.inW * s), roundHalfUp(up.inH * s)];
}

function describeSize() {
  const size = wantedSize();
  if (!up.file) {
    el.sizeInfo.textContent = "Choose an image first.";
  } else if (!size) {
    el.sizeInfo.textContent =
      up.mode === "size" ? "Enter a width and a height." : `Output: ×${el.scale.value}`;
  } else {
    const input = up.inW ? `${up.inW} × ${up.inH} → ` : "";
    el.sizeInfo.textContent = `Output: ${input}${size[0]} × ${size[1]} px`;
  }
}

function onScaleInput() {
  up.mode = "scale";
  el.scaleOut.textContent = `×${parseFloat(el.scale.value).toFixed(2)}`;
  const size = wantedSize();
  if (size) [el.width.value, el.height.value] = size;
  describeSize();
}

function onSideInput(event) {
  up.mode = "size";
  const w = parseInt(el.width.value, 10);
  const h = parseInt(el.height.value, 10);
  if (el.keep.checked && up.inW) {
    if (event.target === el.width && w >= 1) {
      el.height.value = Math.max(1, roundHalfUp((up.inH * w) / up.inW));
    } else if (event.target === el.height && h >= 1) {
      el.width.value = Math.max(1, roundHalfUp((up.inW * h) / up.inH));
    }
  }
  const factor = up.inW ? parseInt(el.width.value, 10) / up.inW : NaN;
  el.scaleOut.textContent = Number.isFinite(factor) ? `×${factor.toFixed(2)} (exact size)` : "exact size";
  if (Number.isFinite(factor)) el.scale.value = Math.min(8, Math.max(1, factor));
  describeSize();
}

function scheduleUpscale(delay = 200) {
  clearTimeout(up.timer);
  if (up.file) up.timer = setTimeout(runUpscale, delay);
}

el.scale.addEventListener("input", onScaleInput);
el.scale.addEventListener("change", () => scheduleUpscale());
for (const side of [el.width, el.height]) {
  side.addEventListener("input", onSideInput);
  side.addEventListener("change", () => scheduleUpscale());
}
el.go.addEventListener("click", () => scheduleUpscale(0));
el.cancel.addEventListener("click", () => {
  if (up.controller) up.controller.abort();
});

// Files: the picker, or a drop anywhere on the panel. Drops elsewhere must not navigate away.
el.file.addEventListener("change", () => {
  if (el.file.files.length) loadFile(el.file.files[0]);
});
const panel = $("panel-upscale");
for (const type of ["dragenter", "dragover"]) {
  panel.addEventListener(type, (event) => {
    event.preventDefault();
    el.drop.classList.add("over");
  });
}
panel.addEventListener("dragleave", (event) => {
  if (!panel.contains(event.relatedTarget)) el.drop.classList.remove("over");
});
panel.addEventListener("drop", (event) => {
  event.preventDefault();
  el.drop.classList.remove("over");
  const file = event.dataTransfer && event.dataTransfer.files[0];
  if (file) loadFile(file);
});
window.addEventListener("dragover", (event) => event.preventDefault());
window.addEventListener("drop", (event) => event.preventDefault());

async function loadFile(file) {
  if (up.controller) up.controller.abort();
  showError(el.error, "");
  up.file = file;
  up.stem = (file.name || "image").replace(/\.[^.]*$/, "") || "image";
  if (up.inputURL) URL.revokeObjectURL(up.inputURL);
  up.inputURL = URL.createObjectURL(file);
  up.beforeCanvas = null;
  const probe = new Image();
  probe.src = up.inputURL;
  try {
    await probe.decode();
    up.inW = probe.naturalWidth;
    up.inH = probe.naturalHeight;
    el.before.src = up.inputURL;
    el.info.textContent = `${file.name || "image"}: ${up.inW} × ${up.inH} px, ${kilobytes(file.size)}`;
  } catch (_) {
    // Not something the browser shows (TIFF, or not an image): the server has the last word.
    up.inW = up.inH = 0;
    el.before.removeAttribute("src");
    el.info.textContent = `${file.name || "file"}: the browser cannot preview it; the server will try.`;
  }
  clearResult();
  el.fields.disabled = false;
  el.go.disabled = false;
  onScaleInput(); // a new image starts from the scale slider (its old exact size may not fit)
  describeSize();
  showCompare(up.inW || 4, up.inH || 3);
  scheduleUpscale(0);
}

function clearResult() {
  el.compare.classList.add("empty"); // no result: no divider, no labels
  el.after.hidden = true;
  el.after.removeAttribute("src");
  if (up.resultURL) URL.revokeObjectURL(up.resultURL);
  up.resultURL = null;
  el.download.removeAttribute("href");
  el.download.setAttribute("aria-disabled", "true");
}

/** Show the comparison box with the aspect ratio of a w x h result, no taller than the window. */
function showCompare(w, h) {
  el.placeholder.hidden = true;
  el.compare.hidden = false;
  el.compare.style.aspectRatio = `${w} / ${h}`;
  el.compare.style.maxWidth = `min(100%, calc(75vh * ${w / h}))`;
}

function randomId() {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function setBusy(busy) {
  el.cancel.hidden = !busy;
  el.compare.classList.toggle("busy", busy);
  el.compare.setAttribute("aria-busy", String(busy));
  if (!busy) el.progress.hidden = true;
}

/** Follow the job at /api/upscale/progress/{id} until ``job.finished``; draw the bar. */
async function followProgress(id, job, label) {
  await sleep(400); // quick upscales finish before a bar would flicker into view
  while (!job.finished) {
    const seconds = ((performance.now() - job.started) / 1000).toFixed(1);
    try {
      const response = await fetch(`/api/upscale/progress/${id}`);
      if (job.finished) return;
      if (response.ok) {
        const p = await response.json();
        el.progress.hidden = false;
        if (p.state === "queued") {
          el.progress.removeAttribute("value");
          el.status.textContent = `Waiting for the server… ${seconds} s`;
        } else if (p.total) {
          const fraction = Math.min(1, p.done / p.total);
          el.progress.value = fraction;
          el.status.textContent = `${label} ${Math.round(fraction * 100)}% · ${seconds} s`;
        } else {
          el.progress.removeAttribute("value"); // unknown length: an indeterminate bar
          el.status.textContent = `${label} ${seconds} s`;
        }
      }
    } catch (_) {
      // the upscale request itself reports a lost server
    }
    await sleep(250);
  }
}

async function runUpscale() {
  if (!up.file) return;
  if (up.controller) up.controller.abort();
  const controller = new AbortController();
  up.controller = controller;
  showError(el.error, "");
  const form = new FormData();
  form.append("image", up.file, up.file.name || "image");
  const size = wantedSize();
  if (up.mode === "size") {
    form.append("width", el.width.value);
    form.append("height", el.height.value);
  } else {
    form.append("scale", el.scale.value);
  }
  const id = randomId();
  form.append("progress_id", id);
  const label = size ? `Upscaling to ${size[0]} × ${size[1]}…` : "Upscaling…";
  el.status.textContent = label;
  setBusy(true);
  const job = { started: performance.now(), finished: false };
  followProgress(id, job, label);
  try {
    const response = await fetch("/api/upscale", {
      method: "POST",
      body: form,
      signal: controller.signal,
    });
    if (!response.ok) throw new Error(await apiError(response));
    const blob = await response.blob();
    if (controller !== up.controller) return; // a newer request replaced this one
    await showResult(blob, (performance.now() - job.started) / 1000);
  } catch (err) {
    if (controller !== up.controller) return;
    if (err.name === "AbortError") {
      el.status.textContent = "Cancelled.";
    } else {
      el.status.textContent = "";
      showError(el.error, fetchProblem(err));
    }
  } finally {
    job.finished = true;
    if (controller === up.controller) {
      up.controller = null;
      setBusy(false);
    }
  }
}

async function showResult(blob, seconds) {
  const url = URL.createObjectURL(blob);
  el.after.src = url;
  await el.after.decode();
  if (up.resultURL) URL.revokeObjectURL(up.resultURL);
  up.resultURL = url;
  up.beforeCanvas = null;
  const w = el.after.naturalWidth;
  const h = el.after.naturalHeight;
  el.after.hidden = false;
  el.compare.classList.remove("empty");
  showCompare(w, h);
  const what = up.mode === "size" ? `${w}x${h}` : `x${parseFloat(el.scale.value)}`;
  el.download.href = url;
  el.download.download = `${up.stem}_${what}.png`;
  el.download.setAttribute("aria-disabled", "false");
  el.status.textContent = `Done: ${w} × ${h} px (${kilobytes(blob.size)}) in ${seconds.toFixed(1)} s.`;
}

// ----- the divider: drag anywhere in the comparison, or focus it and use the keys -----------
function setSplit(percent) {
  up.split = Math.min(100, Math.max(0, percent));
  el.compare.style.setProperty("--split", `${up.split}%`);
  const p = Math.round(up.split);
  el.divider.setAttribute("aria-valuenow", String(p));
  el.divider.setAttribute("aria-valuetext", `${p}% smooth, ${100 - p}% LIIF`);
}

let dragging = false;
el.compare.addEventListener("pointerdown", (event) => {
  dragging = true;
  el.compare.setPointerCapture(event.pointerId);
  const rect = el.compare.getBoundingClientRect();
  setSplit(((event.clientX - rect.left) / rect.width) * 100);
  el.divider.focus({ preventScroll: true });
});
el.compare.addEventListener("pointermove", (event) => {
  const rect = el.compare.getBoundingClientRect();
  if (dragging) setSplit(((event.clientX - rect.left) / rect.width) * 100);
  drawLoupe(event.clientX - rect.left, event.clientY - rect.top, rect);
});
for (const type of ["pointerup", "pointercancel"]) {
  el.compare.addEventListener(type, () => {
    dragging = false;
  });
}
el.compare.addEventListener("pointerleave", () => el.loupe.classList.remove("on"));
el.divider.addEventListener("keydown", (event) => {
  const step = event.shiftKey ? 10 : 2;
  const to = {
    ArrowLeft: up.split - step,
    ArrowDown: up.split - step,
    ArrowRight: up.split + step,
    ArrowUp: up.split + step,
    PageDown: up.split - 10,
    PageUp: up.split + 10,
    Home: 0,
    End: 100,
  }[event.key];
  if (to === undefined) return;
  event.preventDefault();
  setSplit(to);
});
el.loupeOn.addEventListener("change", () => {
  if (!el.loupeOn.checked) el.loupe.classList.remove("on");
});

/** The input drawn at the result's size by the browser's smoothing (made once per result). */
function beforeSource(w, h) {
  if (!up.beforeCanvas && w * h <= 16e6) {
    const canvas = document.createElement("canvas");
    canvas.width = w;
    canvas.height = h;
    const ctx = canvas.getContext("2d");
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(el.before, 0, 0, w, h);
    up.beforeCanvas = canvas;
  }
  return up.beforeCanvas;
}

/** The loupe at (x, y) in the comparison box: result pixels magnified, split as the view. */
function drawLoupe(x, y, rect) {
  const ready = el.loupeOn.checked && !el.after.hidden && el.after.naturalWidth && up.inW;
  if (!ready) {
    el.loupe.classList.remove("on");
    return;
  }
  const w = el.after.naturalWidth;
  const h = el.after.naturalHeight;
  const zoom = parseInt(el.loupeZoom.value, 10);
  const side = el.loupe.width; // canvas pixels
  const span = side / zoom; // result pixels seen through the loupe
  const cx = (x / rect.width) * w;
  const cy = (y / rect.height) * h;
  const sx = cx - span / 2;
  const sy = cy - span / 2;
  const ctx = el.loupe.getContext("2d");
  ctx.imageSmoothingEnabled = false; // show the pixels themselves
  ctx.clearRect(0, 0, side, side);
  const before = beforeSource(w, h);
  if (before) ctx.drawImage(before, sx, sy, span, span, 0, 0, side, side);
  // The LIIF side, right of the divider, as in the view underneath.
  const cut = ((up.split / 100) * w - sx) * zoom;
  ctx.save();
  ctx.beginPath();
  ctx.rect(cut, 0, side - cut, side);
  ctx.clip();
  ctx.drawImage(el.after, sx, sy, span, span, 0, 0, side, side);
  ctx.restore();
  if (cut > 0 && cut < side) {
    ctx.fillStyle = "#fff";
    ctx.fillRect(cut - 1, 0, 2, side);
  }
  const css = el.loupe.offsetWidth;
  el.loupe.style.left = `${Math.min(rect.width - css, Math.max(0, x - css / 2))}px`;
  el.loupe.style.top = `${Math.min(rect.height - css, Math.max(0, y - css / 2))}px`;
  el.loupe.classList.add("on");
}
