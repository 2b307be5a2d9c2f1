// Dashboard of all runs: the snapshot draws the table, events update a row's status and progress.
(function () {
  "use strict";
  const table = document.getElementById("runs");
  const state = document.getElementById("live-state");
  const body = table.querySelector("tbody");
  const rows = new Map();

  function cell(text, className) {
    const td = document.createElement("td");
    td.textContent = text;
    if (className) td.className = className;
    return td;
  }

  function draw(runs) {
    body.textContent = "";
    rows.clear();
    if (!runs.length) {
      const tr = document.createElement("tr");
      tr.appendChild(cell("No training run yet. Start one with “New training run”.")).colSpan = 5;
      body.appendChild(tr);
    }
    for (const run of runs) {
      const tr = document.createElement("tr");
      tr.dataset.run = run.run;
      const link = document.createElement("a");
      link.href = run.url;
      link.textContent = "#" + run.run;
      const first = cell("");
      first.appendChild(link);
      tr.append(first, cell(run.model_type_display), cell(run.status_display, "status status-" + run.status),
        cell(progressText(run.progress, run.epochs), "progress-cell"), cell(run.created || run.created_at.slice(0, 19).replace("T", " ")));
      body.appendChild(tr);
      rows.set(run.run, { tr, epochs: run.epochs });
    }
  }

  function progressText(p, epochs) {
    if (!p || !p.epoch) return "";
    return p.batches ? `epoch ${p.epoch} / ${p.epochs || epochs} · batch ${p.batch} / ${p.batches}` : `epoch ${p.epoch} / ${p.epochs || epochs}`;
  }

  let socket;
  let refusal = null;
  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + table.dataset.ws);
    socket.onopen = () => { state.textContent = "Live."; state.dataset.state = "live"; };
    socket.onmessage = (e) => {
      const message = JSON.parse(e.data);
      if (message.type === "snapshot") return draw(message.runs);
      if (message.type === "refused") { refusal = message.error; return; }  // why the close (4403) that follows came
      const row = rows.get(message.run);
      if (!row) { socket.close(); return; }  // a new run: the reconnect brings a fresh snapshot
      if (message.type === "status") {
        const td = row.tr.children[2];
        td.textContent = message.status_display;
        td.className = "status status-" + message.status;
      } else {
        row.tr.children[3].textContent = progressText(message, row.epochs);
      }
    };
    socket.onclose = (e) => {
      state.dataset.state = "closed";
      if (e.code === 4403) { state.textContent = refusal || "Not allowed: log in again."; return; }
      // 4503: the server cannot reach Redis (its live events); the list stays as loaded until it answers again.
      const unavailable = e.code === 4503;
      state.textContent = unavailable ? "Live updates unavailable: the server cannot reach Redis. Retrying…" : "Reconnecting…";
      setTimeout(connect, unavailable ? 5000 : 1000);
    };
  }
  connect();
})();
