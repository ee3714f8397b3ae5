// inrkit's page: plain JS on top of the REST API (see /docs). No build step, no dependencies.
// Classic scripts sharing one global scope, loaded in order by index.html: common.js,
// upscale.js (the LIIF panel), giraffe.js (the GIRAFFE panel), then this one, which wires the
// tabs and starts the page.
"use strict";

// ----- tabs (WAI-ARIA tabs pattern: arrows, Home and End move between tabs) -----------------
const tabs = [...document.querySelectorAll('[role="tab"]')];

function selectTab(tab, focus) {
  for (const t of tabs) {
    const on = t === tab;
    t.setAttribute("aria-selected", String(on));
    t.tabIndex = on ? 0 : -1;
    $(t.getAttribute("aria-controls")).hidden = !on;
  }
  if (focus) tab.focus();
  if (tab.id === "tab-giraffe") giraffe.shown();
}

tabs.forEach((tab, i) => {
  tab.addEventListener("click", () => selectTab(tab, false));
  tab.addEventListener("keydown", (event) => {
    const n = tabs.length;
    const to = { ArrowRight: (i + 1) % n, ArrowLeft: (i - 1 + n) % n, Home: 0, End: n - 1 }[
      event.key
    ];
    if (to === undefined) return;
    event.preventDefault();
    selectTab(tabs[to], true);
  });
});

// ----- what the server has loaded -------------------------------------------------------------
async function loadModels() {
  const line = $("models");
  try {
    const response = await fetch("/api/models");
    if (!response.ok) throw new Error(await apiError(response));
    const models = await response.json();
    // A checkpoint path is long: show its file name, the whole path on hover.
    const short = (name) => String(name).split(/[\\/]/).pop();
    const l = models.liif;
    const g = models.giraffe;
    const liif = l ? `LIIF: ${short(l.name || l.kind)}` : "no LIIF model";
    const gText = g ? `GIRAFFE: ${short(g.name || "model")} (${g.img_size} px)` : "no GIRAFFE model";
    line.textContent = `${liif} · ${gText}`;
    line.title = [l && l.name, g && g.name].filter(Boolean).join("\n");
    if (!models.liif) {
      showError(el.error, "No LIIF model is loaded: start the server with --liif-model.");
    }
    giraffe.setModel(g);
  } catch (err) {
    line.textContent = "Models unknown";
    showError(el.error, fetchProblem(err));
    giraffe.setModel(null);
  }
}

setSplit(50);
onScaleInput();
loadModels();
