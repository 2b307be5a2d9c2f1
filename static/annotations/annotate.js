// Wiresag annotation tool: one picture, its boxes, keyboard first.
// Data from the server is always put into the page with textContent, never innerHTML.
"use strict";

(() => {
  const root = document.getElementById("annotator");
  if (!root) return;

  const VIEWS = ["TOP", "SIDE"];
  const DEFECTS = ["PASS", "SWEEP", "WOBBLE", "TOUCH"];
  const HANDLE_PX = 7;
  const MIN_BOX_PX = 2;
  const HISTORY_LIMIT = 100; // as annotations/api.py: the newest changes the panel lists

  const api = root.dataset.api;
  const imageId = root.dataset.imageId;
  const pageTemplate = root.dataset.pageTemplate;
  // A draft belongs to the user who drew it: on a shared computer the next user is not offered it (to save as theirs).
  // Kept under the user's key (id and when the account joined): an id alone is handed out again after a restore.
  const draftKey = `wiresag-draft-${root.dataset.userKey}-${imageId}`;
  // A draft kept before drafts had an owner, or under the owner's id only, is offered to whoever opens the picture next.
  const olderDraftKeys = [`wiresag-draft-${root.dataset.userId}-${imageId}`, `wiresag-draft-${imageId}`];
  const formCsrf = root.querySelector("input[name=csrfmiddlewaretoken]").value;
  // Read at every save: logging in again (in another tab, as the page asks after a 401) rotates the token.
  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : formCsrf;
  }

  const stage = document.getElementById("stage");
  const canvas = document.getElementById("canvas");
  const ctx = canvas.getContext("2d");
  const $ = (id) => document.getElementById(id);

  const state = {
    image: null,
    boxes: [],
    history: [],
    revision: 0,
    selected: -1,
    dirty: false,
    ownsDraft: false, // whether the local draft of this picture was written (or restored) by this tab
    drawing: false,
    undo: [],
    errors: {},
    defaultView: "TOP",
    defaultDefect: "PASS",
    scale: 1,
    offsetX: 0,
    offsetY: 0,
    saving: null,
    base: new Map(), // box id -> JSON of the box as last loaded from or saved to the server
    origins: new Map(), // box id -> {source, review} as the server last gave it: model boxes are marked
  };

  const picture = new Image();
  const adjusted = document.createElement("canvas");
  let pristine = null; // ImageData of the display copy, before window/level

  // ---------- helpers ----------
  const el = (tag, text, className) => {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className) node.className = className;
    return node;
  };
  const pageUrl = (id) => pageTemplate.replace("/0/", `/${id}/`);
  const cleanBox = (b) => ({ id: b.id ?? null, x: b.x, y: b.y, width: b.width, height: b.height, view: b.view, defect: b.defect });
  const describe = (b) => `${b.view} ${b.defect} at ${Math.round(b.x)},${Math.round(b.y)} ${Math.round(b.width)}×${Math.round(b.height)}`;
  // A model's box says so, and whether it waits for review or was rejected (it then does not train): drawn dashed.
  const MODEL_NOTES = {
    pending: "model box, waiting for review",
    rejected: "model box, rejected: not used for training",
    accepted: "model box, accepted",
    corrected: "model box, corrected",
    // What the next save makes of it (annotations/actions.py save_boxes): until then it still said "rejected: not used".
    edited: "model box, edited: saving marks it corrected, used for training",
    restored: "was a model box (deleted when saved): saving adds it as your box, used for training",
  };
  const originOf = (b) => (b.id !== null && b.id !== undefined ? state.origins.get(b.id) : undefined);
  // A model box's state as the page shows it: as the server gave it, or "edited" / "restored" (an undo brought back a
  // box a save deleted) when the next save will turn it into training data.
  const reviewOf = (b) => {
    const origin = originOf(b);
    if (!origin || origin.source !== "model") return "";
    if (!state.base.has(b.id)) return "restored";
    if (state.base.get(b.id) !== JSON.stringify(cleanBox(b))) return "edited";
    return origin.review;
  };
  const modelNote = (b) => (originOf(b)?.source === "model" ? MODEL_NOTES[reviewOf(b)] || "model box" : "");
  // Kept for boxes a save deleted, too: Ctrl+Z can bring one back, and the page says what it was.
  const rememberOrigins = (boxes) => {
    for (const b of boxes) if (b.id !== null && b.id !== undefined) state.origins.set(b.id, { source: b.source, review: b.review_state });
  };

  function setStatus(text, kind = "") {
    const status = $("status");
    status.textContent = text;
    status.title = text;
    status.className = `status ${kind}`;
  }

  function markDirty() {
    state.dirty = true;
    setStatus("Unsaved changes", "warn");
  }

  function pushUndo() {
    state.undo.push(JSON.stringify({ boxes: state.boxes, selected: state.selected }));
    if (state.undo.length > 200) state.undo.shift();
  }

  function undo() {
    const last = state.undo.pop();
    if (!last) {
      setStatus("Nothing to undo.");
      return;
    }
    const snap = JSON.parse(last);
    state.boxes = snap.boxes;
    state.selected = Math.min(snap.selected, state.boxes.length - 1);
    markDirty();
    render();
  }

  // ---------- coordinates ----------
  function toImage(event) {
    const rect = canvas.getBoundingClientRect();
    const sx = ((event.clientX - rect.left) * canvas.width) / rect.width;
    const sy = ((event.clientY - rect.top) * canvas.height) / rect.height;
    return { x: (sx - state.offsetX) / state.scale, y: (sy - state.offsetY) / state.scale, sx, sy };
  }

  function clampBox(b) {
    const W = state.image.width;
    const H = state.image.height;
    let { x, y, width, height } = b;
    if (width < 0) { x += width; width = -width; }
    if (height < 0) { y += height; height = -height; }
    x = Math.max(0, Math.min(x, W - 1));
    y = Math.max(0, Math.min(y, H - 1));
    width = Math.max(1, Math.min(width, W - x));
    height = Math.max(1, Math.min(height, H - y));
    return { ...b, x: Math.round(x), y: Math.round(y), width: Math.round(width), height: Math.round(height) };
  }

  function fit() {
    const rect = stage.getBoundingClientRect();
    canvas.width = Math.max(100, Math.floor(rect.width));
    canvas.height = Math.max(100, Math.floor(rect.height));
    if (!state.image) return;
    state.scale = Math.min(canvas.width / state.image.width, canvas.height / state.image.height);
    state.offsetX = (canvas.width - state.image.width * state.scale) / 2;
    state.offsetY = (canvas.height - state.image.height * state.scale) / 2;
  }

  // ---------- window / level ----------
  function applyWindowLevel() {
    if (!pristine) return;
    const windowWidth = Number($("window").value);
    const level = Number($("level").value);
    const invert = $("invert").checked;
    const lut = new Uint8ClampedArray(256);
    const low = level - windowWidth / 2;
    for (let v = 0; v < 256; v += 1) {
      const out = ((v - low) / windowWidth) * 255;
      lut[v] = invert ? 255 - out : out;
    }
    const out = new ImageData(new Uint8ClampedArray(pristine.data), pristine.width, pristine.height);
    const d = out.data;
    for (let i = 0; i < d.length; i += 4) {
      d[i] = lut[d[i]];
      d[i + 1] = lut[d[i + 1]];
      d[i + 2] = lut[d[i + 2]];
    }
    adjusted.getContext("2d").putImageData(out, 0, 0);
    render();
  }

  // ---------- drawing ----------
  function handlesOf(b) {
    const { x, y, width: w, height: h } = b;
    return {
      nw: [x, y], n: [x + w / 2, y], ne: [x + w, y], e: [x + w, y + h / 2],
      se: [x + w, y + h], s: [x + w / 2, y + h], sw: [x, y + h], w: [x, y + h / 2],
    };
  }

  function render() {
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    if (!state.image) return;
    ctx.setTransform(state.scale, 0, 0, state.scale, state.offsetX, state.offsetY);
    ctx.imageSmoothingEnabled = state.scale < 1;
    ctx.drawImage(pristine ? adjusted : picture, 0, 0);
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    state.boxes.forEach((b, i) => {
      const sx = b.x * state.scale + state.offsetX;
      const sy = b.y * state.scale + state.offsetY;
      const selected = i === state.selected;
      const invalid = state.errors[i] !== undefined;
      ctx.lineWidth = selected ? 2.5 : 1.5;
      const review = reviewOf(b);
      const rejected = review === "rejected";
      ctx.strokeStyle = invalid ? "#ff1744" : selected ? "#ffd600" : rejected ? "#9e9e9e" : b.defect === "PASS" ? "#00e676" : "#ff9100";
      ctx.setLineDash(review === "pending" || rejected ? [6, 4] : []);
      ctx.strokeRect(sx, sy, b.width * state.scale, b.height * state.scale);
      ctx.setLineDash([]);
      ctx.font = "13px system-ui, sans-serif";
      const label = `${i + 1} ${b.view} ${b.defect}${review === "pending" ? " (model, to review)" : rejected ? " (rejected)" : ""}`;
      const tw = ctx.measureText(label).width;
      ctx.fillStyle = "rgba(0,0,0,.65)";
      ctx.fillRect(sx, sy - 17, tw + 8, 16);
      ctx.fillStyle = ctx.strokeStyle;
      ctx.fillText(label, sx + 4, sy - 4);
      if (selected) {
        ctx.fillStyle = "#ffd600";
        for (const [hx, hy] of Object.values(handlesOf(b))) {
          ctx.fillRect(hx * state.scale + state.offsetX - HANDLE_PX / 2, hy * state.scale + state.offsetY - HANDLE_PX / 2, HANDLE_PX, HANDLE_PX);
        }
      }
    });
    renderSide();
  }

  function renderSide() {
    const list = $("box-list");
    list.replaceChildren();
    state.boxes.forEach((b, i) => {
      const note = modelNote(b);
      const item = el("li", note ? `${describe(b)} · ${note}` : describe(b), i === state.selected ? "selected" : "");
      item.dataset.index = String(i);
      const errors = state.errors[i];
      if (errors) {
        for (const [field, message] of Object.entries(errors)) item.append(el("div", `${field}: ${message}`, "error"));
      }
      item.addEventListener("click", () => select(i));
      list.append(item);
    });
    if (!state.boxes.length) list.append(el("li", "No boxes yet: press W and drag on the picture.", "muted"));
    $("default-view").textContent = state.defaultView;
    $("default-defect").textContent = state.defaultDefect;
    const current = state.boxes[state.selected];
    root.querySelectorAll("[data-view]").forEach((b) => b.classList.toggle("active", !!current && current.view === b.dataset.view));
    root.querySelectorAll("[data-defect]").forEach((b) => b.classList.toggle("active", !!current && current.defect === b.dataset.defect));
    $("draw-button").classList.toggle("active", state.drawing);
    stage.classList.toggle("drawing", state.drawing);
    $("revision").textContent = `revision ${state.revision}`;
  }

  function renderHistory(history) {
    state.history = history.slice(0, HISTORY_LIMIT);
    const list = $("history");
    list.replaceChildren();
    for (const change of history) {
      const when = new Date(change.at).toLocaleString();
      const what = change.after ? describe(change.after) : change.before ? describe(change.before) : "";
      // A change nobody made by hand (pre-annotation, an import) says what made it in its note, not "unknown".
      const who = change.user || (change.note ? "" : "unknown");
      const parts = [when, who, `${change.action} box ${change.box_id ?? ""}: ${what}`, change.note];
      const item = el("li", parts.filter(Boolean).join(" · "));
      if (change.before && change.after) item.title = `before: ${describe(change.before)}`;
      list.append(item);
    }
    if (!history.length) list.append(el("li", "No changes yet.", "muted"));
  }

  function renderPartner() {
    const box = $("partner");
    box.replaceChildren();
    if (!state.image.partner_id) {
      box.append(el("p", "No other view of this wire.", "muted"));
      return;
    }
    const link = el("a", `Open the other view (P) · #${state.image.partner_id}`);
    link.href = pageUrl(state.image.partner_id);
    link.id = "partner-link";
    box.append(link);
  }

  // ---------- selection and labels ----------
  function select(i) {
    state.selected = i;
    render();
  }

  function setLabel(field, value) {
    if (field === "view") state.defaultView = value;
    else state.defaultDefect = value;
    const b = state.boxes[state.selected];
    if (!b) {
      setStatus(`New boxes get ${value}. Select a box (click or Tab) to change it.`);
      renderSide();
      return;
    }
    if (b[field] === value) return;
    pushUndo();
    b[field] = value;
    delete state.errors[state.selected];
    markDirty();
    render();
  }

  function deleteSelected() {
    if (state.selected < 0) return;
    pushUndo();
    state.boxes.splice(state.selected, 1);
    state.errors = {};
    state.selected = Math.min(state.selected, state.boxes.length - 1);
    markDirty();
    render();
  }

  // ---------- mouse ----------
  let drag = null;

  function hitHandle(p) {
    const b = state.boxes[state.selected];
    if (!b) return null;
    for (const [name, [hx, hy]] of Object.entries(handlesOf(b))) {
      const sx = hx * state.scale + state.offsetX;
      const sy = hy * state.scale + state.offsetY;
      if (Math.abs(sx - p.sx) <= HANDLE_PX && Math.abs(sy - p.sy) <= HANDLE_PX) return name;
    }
    return null;
  }

  function hitBox(p) {
    for (let i = state.boxes.length - 1; i >= 0; i -= 1) {
      const b = state.boxes[i];
      if (p.x >= b.x && p.x <= b.x + b.width && p.y >= b.y && p.y <= b.y + b.height) return i;
    }
    return -1;
  }

  canvas.addEventListener("mousedown", (event) => {
    // While a save is in flight the boxes stay as sent: the answer replaces them with the server's.
    if (!state.image || event.button !== 0 || state.saving) return;
    stage.focus();
    const p = toImage(event);
    if (state.drawing) {
      pushUndo();
      const box = { id: null, x: p.x, y: p.y, width: 0, height: 0, view: state.defaultView, defect: state.defaultDefect };
      state.boxes.push(box);
      state.selected = state.boxes.length - 1;
      drag = { kind: "draw", start: p, index: state.selected };
      return;
    }
    const handle = hitHandle(p);
    if (handle) {
      pushUndo();
      drag = { kind: "resize", handle, start: p, origin: { ...state.boxes[state.selected] }, moved: false };
      return;
    }
    const hit = hitBox(p);
    if (hit >= 0) {
      state.selected = hit;
      pushUndo();
      drag = { kind: "move", start: p, origin: { ...state.boxes[hit] }, moved: false };
      render();
      return;
    }
    state.selected = -1;
    drag = { kind: "pan", start: p, offsetX: state.offsetX, offsetY: state.offsetY };
    render();
  });

  window.addEventListener("mousemove", (event) => {
    if (!drag) return;
    const p = toImage(event);
    if (drag.kind === "pan") {
      state.offsetX = drag.offsetX + (p.sx - drag.start.sx);
      state.offsetY = drag.offsetY + (p.sy - drag.start.sy);
      render();
      return;
    }
    const b = state.boxes[drag.kind === "draw" ? drag.index : state.selected];
    const dx = p.x - drag.start.x;
    const dy = p.y - drag.start.y;
    if (drag.kind === "draw") {
      Object.assign(b, { x: drag.start.x, y: drag.start.y, width: dx, height: dy });
    } else if (drag.kind === "move") {
      const o = drag.origin;
      b.x = Math.max(0, Math.min(o.x + dx, state.image.width - o.width));
      b.y = Math.max(0, Math.min(o.y + dy, state.image.height - o.height));
    } else {
      const o = drag.origin;
      let { x, y, width, height } = o;
      if (drag.handle.includes("w")) { x = o.x + dx; width = o.width - dx; }
      if (drag.handle.includes("e")) width = o.width + dx;
      if (drag.handle.includes("n")) { y = o.y + dy; height = o.height - dy; }
      if (drag.handle.includes("s")) height = o.height + dy;
      Object.assign(b, { x, y, width, height });
    }
    drag.moved = true;
    render();
  });

  window.addEventListener("mouseup", () => {
    if (!drag) return;
    const current = drag;
    drag = null;
    if (current.kind === "pan") return;
    const index = current.kind === "draw" ? current.index : state.selected;
    const b = state.boxes[index];
    if (current.kind === "draw" && (Math.abs(b.width) * state.scale < MIN_BOX_PX || Math.abs(b.height) * state.scale < MIN_BOX_PX)) {
      state.boxes.splice(index, 1);
      state.undo.pop();
      state.selected = -1;
      render();
      return;
    }
    if (current.kind !== "draw" && !current.moved) {
      state.undo.pop();
      render();
      return;
    }
    state.boxes[index] = clampBox(b);
    delete state.errors[index];
    if (current.kind === "draw") state.drawing = false;
    markDirty();
    render();
  });

  // Esc while the mouse button is held: the drag is undone (the box goes back, a new one is dropped, the pan returns).
  function cancelDrag() {
    const current = drag;
    drag = null;
    if (current.kind === "pan") {
      state.offsetX = current.offsetX;
      state.offsetY = current.offsetY;
    } else {
      const snap = JSON.parse(state.undo.pop());
      state.boxes = snap.boxes;
      state.selected = snap.selected;
    }
    state.drawing = false;
    render();
  }

  canvas.addEventListener("wheel", (event) => {
    event.preventDefault();
    const p = toImage(event);
    const factor = Math.exp(-event.deltaY * 0.0015);
    const scale = Math.max(0.05, Math.min(40, state.scale * factor));
    state.offsetX = p.sx - p.x * scale;
    state.offsetY = p.sy - p.y * scale;
    state.scale = scale;
    render();
  }, { passive: false });

  // ---------- saving ----------
  function readDraft(key) {
    try {
      return JSON.parse(localStorage.getItem(key) || "null");
    } catch {
      return null;
    }
  }

  function writeDraft() {
    try {
      localStorage.setItem(draftKey, JSON.stringify({ base_revision: state.revision, boxes: state.boxes.map(cleanBox), at: new Date().toISOString() }));
      state.ownsDraft = true;
      return true;
    } catch {
      return false;
    }
  }

  function newestChange() {
    return state.history.length ? state.history[0].id : 0;
  }

  async function put(boxes, baseRevision) {
    const response = await fetch(api, {
      method: "PUT",
      headers: {
        "Content-Type": "application/json",
        "X-CSRFToken": csrfToken(),
        // Refused when this browser is now logged in as someone else (in another tab): not saved as theirs.
        "X-Wiresag-Page-User": encodeURIComponent(root.dataset.username),
        "X-Wiresag-Page-User-Id": root.dataset.userKey, // the same account under another name: it was renamed
        Accept: "application/json",
      },
      credentials: "same-origin",
      // Only the changes after the newest one shown come back: the page keeps the rest.
      body: JSON.stringify({ base_revision: baseRevision, boxes: boxes.map(cleanBox), history_after: newestChange() }),
    });
    let body = null;
    try {
      body = await response.json();
    } catch {
      body = { error: `The server answered ${response.status} without details.` };
    }
    return { status: response.status, body };
  }

  function rememberBase() {
    state.base = new Map(state.boxes.filter((b) => b.id !== null).map((b) => [b.id, JSON.stringify(cleanBox(b))]));
  }

  function accept(body) {
    state.revision = body.revision;
    state.boxes = body.boxes.map(cleanBox);
    rememberOrigins(body.boxes);
    rememberBase();
    state.errors = {};
    state.dirty = false;
    state.selected = Math.min(state.selected, state.boxes.length - 1);
    // Only the draft this tab wrote (or restored) is now on the server; another tab's draft of the picture stays.
    if (state.ownsDraft) localStorage.removeItem(draftKey);
    state.ownsDraft = false;
    if (body.history) renderHistory(body.history);
    else if (body.history_new) renderHistory(body.history_new.concat(state.history));
    setStatus(`Saved (revision ${state.revision}).`, "ok");
    render();
  }

  // Returns true when the boxes are safely on the server.
  async function save(baseRevision = state.revision, boxes = state.boxes) {
    if (state.saving) return state.saving;
    state.saving = (async () => {
      setStatus("Saving…");
      let result;
      try {
        result = await put(boxes, baseRevision);
      } catch {
        result = null;
      }
      if (result === null || result.status >= 500) {
        const kept = writeDraft();
        setStatus(
          kept
            ? "Could not reach the server. Your work is kept as a local draft in this browser; press Ctrl+S to try again."
            : "Could not reach the server and could not keep a local draft. Do not close this page; press Ctrl+S to try again.",
          "error",
        );
        return false;
      }
      if (result.status === 200) {
        accept(result.body);
        return true;
      }
      if (result.status === 409) {
        showConflict(result.body);
        return false;
      }
      if (result.status === 400 && result.body.errors) {
        state.errors = result.body.errors;
        setStatus(`${result.body.error} Fix the boxes marked in red.`, "error");
        render();
        return false;
      }
      if (result.status === 401) {
        writeDraft();
        setStatus("You are logged out. Your work is kept as a local draft; log in again in another tab, then press Ctrl+S.", "error");
        return false;
      }
      if (result.status === 403 && result.body.logged_in_as) {
        writeDraft();
        setStatus(`${result.body.error} Your work is kept as a local draft in this browser.`, "error");
        return false;
      }
      if (result.status === 403) {
        writeDraft();
        setStatus(`${result.body.error || "The server refused the save (403)."} Your work is kept as a local draft; reload the page to restore it.`, "error");
        return false;
      }
      setStatus(result.body.error || `The save failed (${result.status}).`, "error");
      return false;
    })();
    try {
      return await state.saving;
    } finally {
      state.saving = null;
    }
  }

  // ---------- conflict ----------
  let conflictServer = null;

  function showConflict(body) {
    conflictServer = body.server;
    $("conflict-message").textContent = body.error;
    $("conflict-revision").textContent = String(body.server.revision);
    const mine = $("conflict-mine");
    const server = $("conflict-server");
    const mineKeys = new Set(state.boxes.map(boxKey));
    const serverKeys = new Set(body.server.boxes.map(boxKey));
    const item = (b, others) => el("li", describe(b) + (others.has(boxKey(b)) ? "" : " (only here)"), others.has(boxKey(b)) ? "" : "differs");
    mine.replaceChildren(...state.boxes.map((b) => item(b, serverKeys)));
    server.replaceChildren(...body.server.boxes.map((b) => item(b, mineKeys)));
    if (!state.boxes.length) mine.append(el("li", "no boxes", "muted"));
    if (!body.server.boxes.length) server.append(el("li", "no boxes", "muted"));
    $("conflict-who").textContent = body.server.saved_by ? `${body.server.saved_by}'s` : "the server's";
    drawConflict(state.boxes, body.server.boxes, mineKeys, serverKeys);
    writeDraft();
    setStatus("Conflict: choose which version to keep. Your version is kept as a local draft meanwhile.", "error");
    $("conflict").showModal();
    $("conflict-merge").focus(); // the choice that loses nothing
  }

  // A box as both versions compare it: geometry rounded to a pixel, and its labels.
  const boxKey = (b) => [Math.round(b.x), Math.round(b.y), Math.round(b.width), Math.round(b.height), b.view, b.defect].join(",");

  // Both versions on the picture: yours blue, theirs orange; a box in one version only thick and dashed.
  function drawConflict(mine, theirs, mineKeys, serverKeys) {
    const target = $("conflict-canvas");
    const context = target.getContext("2d");
    const all = [...mine, ...theirs];
    let x0 = 0, y0 = 0, x1 = picture.naturalWidth || 1, y1 = picture.naturalHeight || 1;
    if (all.length) {
      const pad = 40;
      x0 = Math.max(0, Math.min(...all.map((b) => b.x)) - pad);
      y0 = Math.max(0, Math.min(...all.map((b) => b.y)) - pad);
      x1 = Math.min(picture.naturalWidth || 1e9, Math.max(...all.map((b) => b.x + b.width)) + pad);
      y1 = Math.min(picture.naturalHeight || 1e9, Math.max(...all.map((b) => b.y + b.height)) + pad);
    }
    const scale = Math.min(target.width / (x1 - x0), target.height / (y1 - y0));
    context.fillStyle = "#111";
    context.fillRect(0, 0, target.width, target.height);
    context.drawImage(picture, x0, y0, x1 - x0, y1 - y0, 0, 0, (x1 - x0) * scale, (y1 - y0) * scale);
    const draw = (boxes, others, colour) => {
      for (const b of boxes) {
        const only = !others.has(boxKey(b));
        context.strokeStyle = colour;
        context.lineWidth = only ? 4 : 1.5;
        context.setLineDash(only ? [8, 5] : []);
        context.strokeRect((b.x - x0) * scale, (b.y - y0) * scale, b.width * scale, b.height * scale);
      }
    };
    draw(theirs, mineKeys, "#f59e0b");
    draw(mine, serverKeys, "#3b82f6");
    target.dataset.onlyMine = String(mine.filter((b) => !serverKeys.has(boxKey(b))).length);
    target.dataset.onlyServer = String(theirs.filter((b) => !mineKeys.has(boxKey(b))).length);
  }

  // The server's boxes, with the ones I edited replaced by mine and my new ones added.
  function mergedBoxes(serverBoxes, mine) {
    const merged = serverBoxes.map(cleanBox);
    const position = new Map(merged.map((b, i) => [b.id, i]));
    for (const b of mine) {
      if (b.id === null || !position.has(b.id)) merged.push({ ...b, id: null });
      else if (state.base.get(b.id) !== JSON.stringify(b)) merged[position.get(b.id)] = b;
    }
    return merged;
  }

  // A model's guess (waiting for review, or rejected) that this tab left as it was: deleting it was a person's decision.
  const untouchedGuess = (b) => {
    const origin = originOf(b);
    return !!origin && origin.source === "model" && ["pending", "rejected"].includes(origin.review) && state.base.get(b.id) === JSON.stringify(cleanBox(b));
  };

  async function resolveConflict(choice) {
    $("conflict").close();
    const server = conflictServer;
    conflictServer = null;
    pushUndo();
    if (choice === "server") {
      accept({ revision: server.revision, boxes: server.boxes });
      return;
    }
    // Boxes someone deleted on the server come back as new boxes, which are a person's (they train): except the model's
    // guesses this tab never touched, which would come back as labels nobody reviewed.
    const serverIds = new Set(server.boxes.map((b) => b.id));
    const gone = (b) => b.id !== null && !serverIds.has(b.id);
    const current = state.boxes.map(cleanBox);
    const left = current.filter((b) => gone(b) && untouchedGuess(b)).length;
    const kept = current.filter((b) => !(gone(b) && untouchedGuess(b)));
    const mine = kept.map((b) => (gone(b) ? { ...b, id: null } : b));
    state.boxes = choice === "merge" ? mergedBoxes(server.boxes, kept) : mine;
    if ((await save(server.revision, state.boxes)) && left) {
      setStatus(
        `Saved (revision ${state.revision}). ${left} model box${left === 1 ? "" : "es"} deleted in the other version stay deleted: ` +
          "they were the model's guesses, not yet reviewed; kept, they would have been saved as your boxes and trained on.",
        "ok",
      );
    }
  }

  $("conflict-keep-mine").addEventListener("click", () => resolveConflict("mine"));
  $("conflict-merge").addEventListener("click", () => resolveConflict("merge"));
  $("conflict-take-server").addEventListener("click", () => resolveConflict("server"));
  // Esc closes the dialog without choosing: the draft keeps your version, and the next save asks again.
  $("conflict").addEventListener("cancel", () => {
    conflictServer = null;
    setStatus("Conflict not resolved: your version is kept as a local draft. Ctrl+S compares again.", "warn");
  });

  // ---------- navigation ----------
  async function go(id, what) {
    if (!id) {
      setStatus(`There is no ${what} picture.`);
      return;
    }
    if (state.dirty && !(await save())) return;
    window.location.href = pageUrl(id);
  }

  // ---------- keyboard ----------
  document.addEventListener("keydown", (event) => {
    if ($("conflict").open || $("shortcuts-overlay").open) return;
    if (drag) {
      // The drag holds a box (and its index): a key that selects, deletes or undoes would move another box.
      if (event.key === "Escape") cancelDrag();
      event.preventDefault();
      return;
    }
    const target = event.target;
    if (target instanceof HTMLInputElement && target.type !== "checkbox" && target.type !== "range") return;
    const key = event.key;
    const ctrl = event.ctrlKey || event.metaKey;
    if (ctrl && key.toLowerCase() === "s") {
      event.preventDefault();
      save();
      return;
    }
    // Ctrl+Shift+Z and Ctrl+Y redo in other tools: here they undid one more change (there is no redo), losing it.
    if (ctrl && ((key.toLowerCase() === "z" && event.shiftKey) || key.toLowerCase() === "y")) {
      event.preventDefault();
      setStatus("There is no redo on this page: Ctrl+Z undoes one change at a time; redo the last one by hand.", "warn");
      return;
    }
    if (ctrl && key.toLowerCase() === "z" && !state.saving) {
      event.preventDefault();
      undo();
      return;
    }
    if (ctrl || event.altKey) return;
    const lower = key.toLowerCase();
    if (state.saving && !["a", "d", "p", "escape", "tab"].includes(lower)) {
      event.preventDefault();
      return;
    }
    if (lower === "w") {
      state.drawing = !state.drawing;
      setStatus(state.drawing ? "Drawing: drag on the picture." : "");
      renderSide();
    } else if (lower === "t") {
      setLabel("view", "TOP");
    } else if (lower === "s") {
      // One key, one meaning: S is the SIDE view (as T is TOP); saving is Ctrl+S, as in CVAT and Label Studio.
      setLabel("view", "SIDE");
    } else if (["1", "2", "3", "4"].includes(key)) {
      setLabel("defect", DEFECTS[Number(key) - 1]);
    } else if (key === "Delete" || key === "Backspace") {
      deleteSelected();
    } else if (key === "Escape") {
      state.drawing = false;
      state.selected = -1;
      render();
    } else if (key === "Tab") {
      // Tab walks the boxes only from the picture; anywhere else (toolbar, box list) it moves the focus as usual.
      const onPicture = target === document.body || target === $("stage") || target === $("canvas");
      if (!onPicture || !state.boxes.length) return;
      // Past the last box (Shift+Tab: before the first) the focus moves on: going round again trapped a keyboard
      // user on the picture, never reaching the box list, the label buttons or a draft banner.
      const leaving = event.shiftKey ? state.selected === 0 : state.selected === state.boxes.length - 1;
      if (leaving) {
        state.selected = -1;
        render();
        return;
      }
      state.selected = event.shiftKey ? (state.selected < 0 ? state.boxes.length - 1 : state.selected - 1) : state.selected + 1;
      render();
    } else if (lower === "a") {
      go(state.image.prev_id, "previous");
    } else if (lower === "d") {
      go(state.image.next_id, "next");
    } else if (lower === "p") {
      go(state.image.partner_id, "other view of this wire's");
    } else if (lower === "i") {
      $("invert").checked = !$("invert").checked;
      applyWindowLevel();
    } else if (lower === "f") {
      resetView();
    } else {
      return;
    }
    event.preventDefault();
  });

  function resetView() {
    $("window").value = "255";
    $("level").value = "128";
    $("invert").checked = false;
    fit();
    applyWindowLevel();
    render();
  }

  root.querySelectorAll("[data-view]").forEach((b) => b.addEventListener("click", () => setLabel("view", b.dataset.view)));
  root.querySelectorAll("[data-defect]").forEach((b) => b.addEventListener("click", () => setLabel("defect", b.dataset.defect)));
  $("window").addEventListener("input", applyWindowLevel);
  $("level").addEventListener("input", applyWindowLevel);
  $("invert").addEventListener("change", applyWindowLevel);
  $("reset-view").addEventListener("click", resetView);
  $("save-button").addEventListener("click", () => save());
  $("draw-button").addEventListener("click", () => { state.drawing = !state.drawing; renderSide(); stage.focus(); });
  $("prev-button").addEventListener("click", () => go(state.image.prev_id, "previous"));
  $("next-button").addEventListener("click", () => go(state.image.next_id, "next"));
  $("partner-button").addEventListener("click", () => go(state.image.partner_id, "other view of this wire's"));
  // The stage changes size when the toolbar wraps or the window resizes: keep the canvas's
  // bitmap the size it is shown at (else it is stretched), and keep the picture where it was.
  new ResizeObserver(() => {
    const rect = stage.getBoundingClientRect();
    const width = Math.max(100, Math.floor(rect.width));
    const height = Math.max(100, Math.floor(rect.height));
    if (width === canvas.width && height === canvas.height) return;
    canvas.width = width;
    canvas.height = height;
    render();
  }).observe(stage);
  window.addEventListener("beforeunload", (event) => {
    if (state.dirty) {
      writeDraft();
      event.preventDefault();
    }
  });

  // ---------- start ----------
  function offerDraft() {
    const key = [draftKey, ...olderDraftKeys].find((candidate) => localStorage.getItem(candidate) !== null) || draftKey;
    const draft = readDraft(key);
    if (!draft) return;
    $("draft-time").textContent = new Date(draft.at).toLocaleString();
    $("draft-banner").hidden = false;
    $("draft-restore").onclick = () => {
      state.ownsDraft = true; // restored here: once saved, it is this tab's to remove
      if (key !== draftKey) localStorage.removeItem(key); // now this user's work, kept under their name if the save fails
      pushUndo();
      state.boxes = draft.boxes.map(cleanBox);
      $("draft-banner").hidden = true;
      markDirty();
      render();
      // Saving against the draft's base revision lets the server say whether anyone saved since.
      save(draft.base_revision, state.boxes);
    };
    $("draft-discard").onclick = () => {
      localStorage.removeItem(key);
      $("draft-banner").hidden = true;
    };
  }

  async function load() {
    setStatus("Loading…");
    let data;
    try {
      const response = await fetch(api, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      data = await response.json();
      if (!response.ok) throw new Error(data.error || response.statusText);
    } catch (error) {
      setStatus(`Could not load the picture's boxes (${error.message}). Reload the page to try again.`, "error");
      return;
    }
    state.image = data.image;
    state.revision = data.image.revision;
    state.boxes = data.boxes.map(cleanBox);
    rememberOrigins(data.boxes);
    rememberBase();
    // The review queue's "Correct" opens the picture with ?box=<id>: that box is the one to correct.
    const asked = Number(new URLSearchParams(window.location.search).get("box"));
    if (asked) state.selected = state.boxes.findIndex((b) => b.id === asked);
    if (VIEWS.includes(data.image.view)) state.defaultView = data.image.view;
    // The lot first: class folders and lots number their wires from 1, so many pictures share a name.
    // Apart, so that a long lot name is the part cut short: the picture's own name stays in sight.
    $("image-lot").textContent = data.image.wire_group ? `${data.image.wire_group} /` : "";
    $("image-file").textContent = data.image.name;
    $("image-name").title = data.image.wire_group ? `${data.image.wire_group} / ${data.image.name}` : data.image.name;
    $("notes").textContent = data.image.notes || "—";
    renderHistory(data.history);
    renderPartner();
    picture.onload = () => {
      adjusted.width = picture.naturalWidth;
      adjusted.height = picture.naturalHeight;
      const context = adjusted.getContext("2d", { willReadFrequently: true });
      context.drawImage(picture, 0, 0);
      pristine = context.getImageData(0, 0, adjusted.width, adjusted.height);
      fit();
      applyWindowLevel();
      setStatus(`Loaded (revision ${state.revision}).`);
      root.dataset.ready = "1";
    };
    // A file missing from the data folder (a restore) does not come back by reloading: the server names it.
    picture.onerror = () => setStatus(data.image.missing_file || "The picture could not be displayed. Reload the page.", "error");
    picture.src = data.image.display_url;
    fit();
    render();
    offerDraft();
    stage.focus();
  }

  load();
})();
