// DOM rendering of a loadDefinition() summary and of load errors.
//
// Every piece of text that comes from a definition (names, digests, notes, error messages) is
// untrusted: it only ever reaches the page through textContent or setAttribute, never innerHTML.

/** Creates an element with optional class names, text and attributes. */
export function el(tag, { cls, text, attrs } = {}, children = []) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  if (attrs) for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const c of children) node.append(c);
  return node;
}

/** The digest's first 12 hex characters after "sha256:" (or the first 12 characters of anything else). */
export function shortDigest(digest) {
  const s = String(digest);
  return s.startsWith("sha256:") ? s.slice(7, 19) : s.slice(0, 12);
}

/** A CSS class name for an op kind; kinds come from a fixed set, but stay safe regardless. */
function kindClass(kind) {
  return /^[a-z]+$/.test(kind) ? `kind-${kind}` : "kind-other";
}

const CAPABILITIES = [
  ["exact_bytes", "exact bytes", "the op bytes BuildKit hashed, so digests are BuildKit's own"],
  ["metadata", "metadata (custom names)", "op metadata such as llb.customname, the names BuildKit shows"],
  ["source_map", "source map", "which Dockerfile lines each op came from"],
];

/** At most this many notes are listed; the rest are counted. */
const MAX_NOTES_SHOWN = 20;

/** At most this many input references are listed per vertex; the rest are counted. */
const MAX_INPUTS_SHOWN = 24;

/**
 * Shows `summary` (the object loadDefinition returns) on the page, replacing what was there.
 * `source` is a short description of where it came from.
 */
export function renderSummary(summary, source) {
  document.getElementById("source").textContent = source;
  document.getElementById("format").textContent = summary.format_name;
  document.getElementById("format").setAttribute("data-format", summary.format);

  // What the format can and cannot tell.
  const caps = summary.capabilities || {};
  const can = CAPABILITIES.filter(([key]) => caps[key]);
  const cannot = CAPABILITIES.filter(([key]) => !caps[key]);
  const capGroup = (label, list, yes) =>
    el("p", { cls: "cap-group" }, [
      el("span", { cls: "cap-label", text: label }),
      ...list.map(([key, name, what]) =>
        el("span", {
          cls: `chip cap ${yes ? "cap-yes" : "cap-no"}`,
          text: `${yes ? "✓" : "✗"} ${name}`,
          attrs: { "data-capability": key, title: `${yes ? "Has" : "Lacks"} ${what}` },
        }),
      ),
    ]);
  const capsBox = document.getElementById("caps");
  capsBox.replaceChildren();
  if (can.length) capsBox.append(capGroup("can tell", can, true));
  if (cannot.length) capsBox.append(capGroup("cannot tell", cannot, false));

  // Counts.
  const kinds = Object.entries(summary.kinds || {});
  const counts = document.getElementById("counts");
  counts.replaceChildren(
    el("li", {}, [el("strong", { text: String(summary.vertices.length) }), ` ${summary.vertices.length === 1 ? "vertex" : "vertices"}`]),
    el("li", {}, [el("strong", { text: String(summary.edges) }), ` ${summary.edges === 1 ? "edge" : "edges"}`]),
    el("li", { cls: "kinds" }, [
      el("strong", { text: String(kinds.length) }),
      ` ${kinds.length === 1 ? "kind" : "kinds"}: `,
      ...kinds.map(([kind, n]) =>
        el("span", { cls: `chip kind ${kindClass(kind)}`, text: `${kind} ${n}`, attrs: { "data-kind": kind } }),
      ),
    ]),
  );

  // The target.
  const target = summary.target || {};
  const targetRow = summary.vertices.findIndex((v) => v.digest === target.digest) + 1;
  const targetLine = document.getElementById("target-line");
  targetLine.replaceChildren();
  if (targetRow > 0) {
    const vertex = summary.vertices[targetRow - 1];
    targetLine.append(
      el("span", { cls: "chip target-chip", text: "target" }),
      " ",
      el("a", { cls: "input-ref", text: `#${targetRow}`, attrs: { href: `#v${targetRow}`, title: vertex.digest } }),
      target.index ? ` output ${target.index} ` : " ",
      el("span", { cls: "target-name", text: vertex.name, attrs: { title: vertex.name } }),
    );
  }

  // Notes.
  const notes = document.getElementById("notes");
  const all = summary.notes || [];
  notes.replaceChildren(...all.slice(0, MAX_NOTES_SHOWN).map((n) => el("li", { text: n })));
  if (all.length > MAX_NOTES_SHOWN) {
    notes.append(el("li", { cls: "subtle", text: `and ${(all.length - MAX_NOTES_SHOWN).toLocaleString("en")} more notes` }));
  }
  notes.hidden = notes.childElementCount === 0;

  renderVertices(summary);
}

/** Rows rendered at once; a longer list offers a button for the rest. */
const ROWS_AT_ONCE = 5000;

function renderVertices(summary) {
  const rowOf = new Map();
  summary.vertices.forEach((v, i) => rowOf.set(v.digest, i + 1));
  const list = document.getElementById("vertices");
  // Wide enough for the longest row number (CSSOM, which the CSP allows; no style attribute text).
  list.style.setProperty("--row-digits", String(String(summary.vertices.length).length));
  list.replaceChildren(vertexRows(summary, rowOf, 0, ROWS_AT_ONCE));
  const rest = summary.vertices.length - ROWS_AT_ONCE;
  if (rest > 0) {
    const button = el("button", { cls: "quiet", text: `Show the other ${rest.toLocaleString("en")} vertices`, attrs: { type: "button" } });
    const more = el("li", { cls: "more" }, [button]);
    button.addEventListener("click", () => {
      more.replaceWith(vertexRows(summary, rowOf, ROWS_AT_ONCE, summary.vertices.length));
    });
    list.append(more);
  }
}

/** A fragment holding the rows for vertices [from, to). */
function vertexRows(summary, rowOf, from, to) {
  const target = summary.target || {};
  const fragment = document.createDocumentFragment();
  summary.vertices.slice(from, to).forEach((v, k) => {
    const row = from + k + 1;
    const isTarget = v.digest === target.digest;
    const li = el("li", {
      cls: `vertex ${kindClass(v.kind)}${isTarget ? " is-target" : ""}`,
      attrs: { id: `v${row}`, "data-digest": v.digest, "data-kind": v.kind },
    });

    const meta = el("div", { cls: "vertex-meta" }, [
      el("span", { cls: `chip kind ${kindClass(v.kind)}`, text: v.kind }),
      el("code", { cls: "digest", text: shortDigest(v.digest), attrs: { title: v.digest } }),
    ]);
    if (v.inputs.length) {
      const inputs = el("span", { cls: "inputs" }, [
        el("span", { cls: "inputs-label", text: v.inputs.length === 1 ? "input " : "inputs " }),
      ]);
      v.inputs.slice(0, MAX_INPUTS_SHOWN).forEach((input, i) => {
        if (i > 0) inputs.append(", ");
        inputs.append(inputRef(input, rowOf));
      });
      if (v.inputs.length > MAX_INPUTS_SHOWN) {
        inputs.append(el("span", { cls: "subtle", text: ` and ${v.inputs.length - MAX_INPUTS_SHOWN} more` }));
      }
      meta.append(inputs);
    } else {
      meta.append(el("span", { cls: "inputs subtle", text: "no inputs" }));
    }
    if (isTarget) {
      const label = target.index ? `target (output ${target.index})` : "target";
      meta.append(el("span", { cls: "chip target-chip", text: label }));
    }

    li.append(
      el("span", { cls: "row-num", text: String(row) }),
      el("div", { cls: "vertex-body" }, [
        el("div", { cls: "vertex-name", text: v.name === "" ? "(no name)" : v.name, attrs: { title: v.name } }),
        meta,
      ]),
    );
    fragment.append(li);
  });
  return fragment;
}

function inputRef(input, rowOf) {
  const row = rowOf.get(input.digest);
  const suffix = input.index ? ` (output ${input.index})` : "";
  if (row === undefined) {
    return el("code", { cls: "digest", text: shortDigest(input.digest) + suffix, attrs: { title: input.digest } });
  }
  return el("a", { cls: "input-ref", text: `#${row}${suffix}`, attrs: { href: `#v${row}`, title: input.digest } });
}

/**
 * Shows a load error; leaves everything else on the page as it was. `unchanged` says whether a
 * previously loaded definition is still on show.
 */
export function showError(title, err, unchanged = true) {
  const message = err && typeof err === "object" && "message" in err ? String(err.message) : String(err);
  const kind = err && typeof err === "object" && typeof err.kind === "string" ? err.kind : "";
  const location = err && typeof err === "object" && typeof err.location === "string" ? err.location : "";
  document.getElementById("error-title").textContent = kind ? `${title} (${kind} error)` : title;
  document.getElementById("error-message").textContent = message;
  const loc = document.getElementById("error-location");
  loc.textContent = location ? `at: ${location}` : "";
  loc.hidden = !location;
  document.getElementById("error-foot").hidden = !unchanged;
  document.getElementById("error").hidden = false;
}

export function clearError() {
  document.getElementById("error").hidden = true;
}
