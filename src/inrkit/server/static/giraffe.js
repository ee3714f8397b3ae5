// inrkit's page, the GIRAFFE panel: sliders, seeds and keyframed paths, rendered by the server.
"use strict";

// ----- GIRAFFE ------------------------------------------------------------------------------
const giraffe = (() => {
  const sliders = [...document.querySelectorAll("#giraffe-fields input[type=range]")];
  const defaults = new Map(sliders.map((s) => [s, s.value]));
  const frame = $("frame");
  const box = $("frame-box");
  const info = $("frame-info");
  const error = $("giraffe-error");
  const gifStatus = $("gif-status");
  const gifLink = $("gif-download");
  const gifButtons = [...document.querySelectorAll("[data-sweep]")];
  let available = false;
  let started = false;
  let inFlight = false; // one render at a time; moves meanwhile are coalesced into the next
  let dirty = false;
  let sent = 0; // sequence numbers: an answer older than the one shown is dropped
  let shownSeq = 0;
  let timer = 0;
  let gifURL = null;

  function params() {
    const out = {};
    for (const s of sliders) {
      out[s.dataset.key] = "seed" in s.dataset ? parseInt(s.value, 10) : parseFloat(s.value);
    }
    return out;
  }

  function label(s) {
    $(`${s.id}-out`).textContent =
      "seed" in s.dataset ? s.value : parseFloat(s.value).toFixed(2);
  }

  async function render() {
    if (!available) return;
    if (inFlight) {
      dirty = true;
      return;
    }
    inFlight = true;
    dirty = false;
    const seq = ++sent;
    const t0 = performance.now();
    box.setAttribute("aria-busy", "true");
    try {
      const response = await fetch("/api/giraffe/render", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(params()),
      });
      if (!response.ok) throw new Error(await apiError(response));
      const blob = await response.blob();
      if (seq > shownSeq) {
        shownSeq = seq;
        const old = frame.src;
        frame.src = URL.createObjectURL(blob);
        await frame.decode().catch(() => {});
        if (old.startsWith("blob:")) URL.revokeObjectURL(old);
        frame.hidden = false;
        const ms = Math.round(performance.now() - t0);
        info.textContent = `${frame.naturalWidth} × ${frame.naturalHeight} px, rendered in ${ms} ms`;
        showError(error, "");
      }
    } catch (err) {
      showError(error, fetchProblem(err));
    } finally {
      inFlight = false;
      box.setAttribute("aria-busy", "false");
      if (dirty) render();
    }
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(render, 40); // a short debounce: about one request per animation step
  }

  for (const s of sliders) {
    label(s);
    s.addEventListener("input", () => {
      label(s);
      schedule();
    });
  }
  $("g-shuffle").addEventListener("click", () => {
    for (const s of sliders.filter((x) => "seed" in x.dataset)) {
      s.value = Math.floor(Math.random() * 1000);
      label(s);
    }
    schedule();
  });
  $("g-reset").addEventListener("click", () => {
    for (const s of sliders.filter((x) => !("seed" in x.dataset))) {
      s.value = defaults.get(s);
      label(s);
    }
    schedule();
  });

  async function exportGif(slider) {
    const frames = parseInt($("gif-frames").value, 10);
    gifButtons.forEach((b) => (b.disabled = true));
    gifStatus.textContent = `Rendering ${frames} frames…`;
    showError(error, "");
    const t0 = performance.now();
    try {
      const response = await fetch("/api/giraffe/animation", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ ...params(), slider, frames }),
      });
      if (!response.ok) throw new Error(await apiError(response));
      const blob = await response.blob();
      if (gifURL) URL.revokeObjectURL(gifURL);
      gifURL = URL.createObjectURL(blob);
      const p = params();
      gifLink.href = gifURL;
      gifLink.download = `giraffe_${slider}_app${p.appearance_seed}_shape${p.shape_seed}.gif`;
      gifLink.textContent = `Download ${gifLink.download}`;
      gifLink.hidden = false;
      const seconds = ((performance.now() - t0) / 1000).toFixed(1);
      gifStatus.textContent = `GIF ready: ${frames} frames, ${kilobytes(blob.size)}, ${seconds} s.`;
      gifLink.click();
    } catch (err) {
      gifStatus.textContent = "";
      showError(error, fetchProblem(err));
    } finally {
      gifButtons.forEach((b) => (b.disabled = false));
    }
  }
  gifButtons.forEach((b) => b.addEventListener("click", () => exportGif(b.dataset.sweep)));

  // ----- keyframed paths: the sliders as a keyframe file, and a path file played as a GIF ----
  const pathStatus = $("path-status");
  const pathGif = $("path-gif");
  const pathLink = $("path-download");
  let pathURL = null;

  /** The sliders as one keyframe of a path (inrkit.giraffe.keyframes' format). */
  function keyframe() {
    const time = Math.max(0, parseFloat($("key-time").value) || 0);
    return { time, ...params() };
  }

  function downloadKeyframe() {
    const k = keyframe();
    const blob = new Blob([JSON.stringify(k, null, 2) + "\n"], { type: "application/json" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = `keyframe_${String(k.time).replace(".", "_")}s.json`;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
    $("key-time").value = k.time + 1; // the next keyframe a second later
  }
  $("key-download").addEventListener("click", downloadKeyframe);

  async function playPath(file) {
    const input = $("path-file");
    input.disabled = true;
    pathStatus.textContent = `Rendering ${file.name}…`;
    showError(error, "");
    const t0 = performance.now();
    try {
      const form = new FormData();
      form.append("path", file, file.name);
      const response = await fetch("/api/giraffe/path", { method: "POST", body: form });
      if (!response.ok) throw new Error(await apiError(response));
      const blob = await response.blob();
      if (pathURL) URL.revokeObjectURL(pathURL);
      pathURL = URL.createObjectURL(blob);
      pathGif.src = pathURL;
      pathGif.hidden = false;
      pathLink.href = pathURL;
      pathLink.download = `${file.name.replace(/\.[^.]*$/, "")}.gif`;
      pathLink.textContent = `Download ${pathLink.download}`;
      pathLink.hidden = false;
      const seconds = ((performance.now() - t0) / 1000).toFixed(1);
      pathStatus.textContent = `Path ready: ${kilobytes(blob.size)}, ${seconds} s.`;
    } catch (err) {
      pathStatus.textContent = "";
      showError(error, fetchProblem(err));
    } finally {
      input.disabled = false;
      input.value = ""; // the same file can be played again after an edit
    }
  }
  $("path-file").addEventListener("change", (event) => {
    const file = event.target.files[0];
    if (file) playPath(file);
  });

  return {
    /** Called once /api/models has answered. */
    setModel(model) {
      available = Boolean(model);
      $("giraffe-missing").hidden = available;
      $("giraffe-fields").disabled = !available;
      $("gif-fields").disabled = !available;
      $("path-fields").disabled = !available;
      if (!available) {
        frame.hidden = true;
        info.textContent = "";
      }
      if (available && !$("panel-giraffe").hidden) this.shown();
    },
    /** The tab became visible: render the first frame. */
    shown() {
      if (available && !started) {
        started = true;
        render();
      }
    },
  };
})();
