// inrkit's page, what both panels use: element look-up, the API's errors, sizes. Loaded first.
"use strict";

const $ = (id) => document.getElementById(id);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
// Python's round-half-up, as the server sizes its output (round(H * scale), halves up).
const roundHalfUp = (x) => Math.floor(x + 0.5);

/** The API's one-line error for a failed response: its JSON {"error": ...}, else the status. */
async function apiError(response) {
  try {
    const body = await response.json();
    if (body && typeof body.error === "string") return body.error;
  } catch (_) {
    // not JSON: fall through to the status line
  }
  return `the server answered ${response.status} ${response.statusText}`.trim();
}

/** A message for an exception from fetch (network failures have no JSON to show). */
function fetchProblem(err) {
  if (err instanceof TypeError) return "cannot reach the server: is inrkit serve still running?";
  return err.message || String(err);
}

function showError(el, message) {
  el.textContent = message || "";
  el.hidden = !message;
}

function kilobytes(n) {
  return n < 1024 * 1024 ? `${Math.max(1, Math.round(n / 1024))} KB` : `${(n / 1048576).toFixed(1)} MB`;
}
