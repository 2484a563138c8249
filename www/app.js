// llbsim's page: loads the wasm core, shows the embedded demo, and reads definitions from the
// paste box, the file picker and drag-and-drop. A failed load shows an error and leaves the
// definition on show (and the paste box) exactly as they were.

import init, { loadDefinition, version } from "../pkg/llbsim.js";
import { DEMO_BASE64, DEMO_DESCRIPTION, DEMO_FILE } from "./demo.js";
import { clearError, renderSummary, showError } from "./render.js";

const $ = (id) => document.getElementById(id);

/** True once the wasm module is initialised. */
let ready = false;
/** True once a definition is on show. */
let shown = false;
/** Bumped by every load request, so a slow file read cannot overwrite a later load. */
let generation = 0;

function setStatus(text) {
  $("status").textContent = text;
}

function decodeBase64(b64) {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

function formatSize(n) {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}

/**
 * Loads `input` (string, Uint8Array or ArrayBuffer) and shows it. On failure shows the error and
 * changes nothing else. `source` describes the input for the summary, `what` for error titles.
 */
function show(input, source, what) {
  let summary;
  try {
    summary = loadDefinition(input);
  } catch (err) {
    showError(`Could not load ${what}`, err, shown);
    return false;
  }
  clearError();
  renderSummary(summary, source);
  shown = true;
  return true;
}

function showDemo() {
  generation++;
  show(decodeBase64(DEMO_BASE64), `demo: ${DEMO_FILE}, ${DEMO_DESCRIPTION}`, "the demo");
}

function loadPasted() {
  if (!ready) return;
  generation++;
  const text = $("paste").value;
  if (text.trim() === "") {
    showError("Nothing to load", new Error("The paste box is empty: paste a definition first."), shown);
    return;
  }
  show(text, `pasted text (${text.length.toLocaleString("en")} characters)`, "the pasted text");
}

async function loadFile(file) {
  if (!ready || !file) return;
  const gen = ++generation;
  setStatus(`reading ${file.name}…`);
  let bytes;
  try {
    bytes = await file.arrayBuffer();
  } catch (err) {
    if (gen === generation) showError(`Could not read file “${file.name}”`, err, shown);
    setStatus("ready");
    return;
  }
  if (gen !== generation) return; // a later load won
  show(bytes, `file ${file.name} (${formatSize(file.size)})`, `file “${file.name}”`);
  setStatus("ready");
}

function wireInputs() {
  $("load").addEventListener("click", loadPasted);
  $("paste").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      loadPasted();
    }
  });
  $("file").addEventListener("change", (e) => {
    const input = e.currentTarget;
    const file = input.files && input.files[0];
    loadFile(file).finally(() => {
      input.value = ""; // picking the same file again loads it again
    });
  });
  $("demo").addEventListener("click", () => {
    if (ready) showDemo();
  });
  $("error-close").addEventListener("click", clearError);
  // Long names are clamped to a few lines; a click shows the whole name.
  $("vertices").addEventListener("click", (e) => {
    const name = e.target instanceof Element && e.target.closest(".vertex-name");
    if (name && !window.getSelection()?.toString()) name.classList.toggle("expanded");
  });

  // Drag and drop of files anywhere on the page. Dragged text is left to the browser (it drops
  // into the paste box).
  let depth = 0;
  const hasFiles = (e) => e.dataTransfer && Array.from(e.dataTransfer.types || []).includes("Files");
  const setDragging = (on) => document.body.classList.toggle("dragging", on);
  window.addEventListener("dragenter", (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    depth++;
    setDragging(true);
  });
  window.addEventListener("dragover", (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = ready ? "copy" : "none";
  });
  window.addEventListener("dragleave", (e) => {
    if (!hasFiles(e)) return;
    depth = Math.max(0, depth - 1);
    if (depth === 0) setDragging(false);
  });
  window.addEventListener("drop", (e) => {
    depth = 0;
    setDragging(false);
    const files = e.dataTransfer && e.dataTransfer.files;
    if (!files || files.length === 0) return;
    e.preventDefault(); // never let the browser navigate to the dropped file
    loadFile(files[0]);
  });
}

async function main() {
  wireInputs();
  try {
    await init();
  } catch (err) {
    setStatus("failed to start");
    showError("Could not start llbsim's WebAssembly module", err, false);
    return;
  }
  ready = true;
  $("version").textContent = `llbsim ${version()}`;
  for (const id of ["load", "file", "demo"]) $(id).disabled = false;
  showDemo();
  document.body.classList.add("is-ready");
  setStatus("ready");
}

main();
