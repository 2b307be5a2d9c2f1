// Live run page: apply the snapshot, then events, idempotently by epoch; a reconnect reloads the snapshot.
// The snapshot is made of the same events the server sends (status, epoch, progress, log), and the
// status event says which controls apply, whether the run is over, the time left and the report link:
// the page keeps no rules of its own.
(function () {
  "use strict";
  const script = document.currentScript;
  const wsPath = script.dataset.ws;
  const palette = ["#1f6feb", "#d9480f", "#2b8a3e", "#9c36b5", "#e67700", "#0b7285", "#c2255c", "#5c940d"];
  const $ = (id) => document.getElementById(id);

  let epochs = new Map();   // epoch number -> epoch event
  let lastLogId = 0;
  let laterRunsSeconds = null; // "train all": estimate of the runs after this one
  let status = null;

  function makeChart(id, logarithmic) {
    return new Chart($(id), {
      type: "line",
      data: { labels: [], datasets: [] },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        scales: { x: { title: { display: true, text: "epoch" } }, y: logarithmic ? { type: "logarithmic" } : {} },
        plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
      },
    });
  }
  const charts = {
    loss: makeChart("chart-loss"),
    metrics: makeChart("chart-metrics"),
    recall: makeChart("chart-recall"),
    lr: makeChart("chart-lr", true),
  };

  function chartOf(key) {
    if (/loss/i.test(key)) return "loss";
    if (/recall\//i.test(key)) return "recall";
    if (/best_|epoch$/i.test(key)) return null;
    return "metrics";
  }

  function redraw() {
    const rows = [...epochs.values()].sort((a, b) => a.epoch - b.epoch);
    const series = { loss: new Map(), metrics: new Map(), recall: new Map(), lr: new Map([["learning rate", []]]) };
    rows.forEach((row, index) => {
      for (const [key, value] of Object.entries(row.metrics || {})) {
        const chart = chartOf(key);
        if (!chart || (value !== null && typeof value !== "number")) continue;
        if (!series[chart].has(key)) series[chart].set(key, new Array(rows.length).fill(null));
        series[chart].get(key)[index] = value;
      }
      series.lr.get("learning rate")[index] = row.learning_rate;
    });
    for (const [name, chart] of Object.entries(charts)) {
      chart.data.labels = rows.map((row) => row.epoch);
      chart.data.datasets = [...series[name].entries()].map(([key, values], i) => ({
        label: key.replace(/^val\/recall\//, ""),
        data: rows.length && values.length < rows.length ? values.concat(new Array(rows.length - values.length).fill(null)) : values,
        borderColor: palette[i % palette.length],
        backgroundColor: palette[i % palette.length],
        pointRadius: 2,
        spanGaps: true,
      }));
      chart.update();
    }
    document.body.dataset.points = String(rows.length);
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined || !isFinite(seconds)) return "–";
    seconds = Math.round(seconds);
    const h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    return h ? `${h} h ${m} min` : m ? `${m} min ${s} s` : `${s} s`;
  }

  function showEta(seconds) {
    $("eta").textContent = duration(seconds) + (status && status.remaining_note && seconds !== null ? status.remaining_note : "");
    $("eta").dataset.seconds = seconds === null || seconds === undefined ? "" : String(Math.round(seconds));
    if ($("queue-eta")) {
      $("queue-eta").textContent = laterRunsSeconds === null || seconds === null ? "–" : duration(seconds + laterRunsSeconds);
    }
  }

  function setProgress(epoch, epochs, batch, batches) {
    if (!epochs) return;
    const done = Math.min(1, (epoch - 1 + (batches ? batch / batches : 1)) / epochs);
    $("progress-bar").style.width = (done * 100).toFixed(1) + "%";
    $("progress").setAttribute("aria-valuenow", String(Math.round(done * 100)));
    $("progress-text").textContent = batches ? `epoch ${epoch} / ${epochs} · batch ${batch} / ${batches}` : `epoch ${epoch} / ${epochs} done`;
  }

  function showMemory(memory) {
    if (!memory || !Object.keys(memory).length) return;
    $("memory").textContent = Object.entries(memory).map(([k, v]) => `${k.replace(/_mb$/, "")} ${Math.round(v)} MB`).join(" · ");
  }

  function applyEpoch(event) {
    epochs.set(event.epoch, event);
    setProgress(event.epoch, event.epochs, 0, 0);
    showEta(event.remaining_seconds);
    showMemory(event.memory);
    redraw();
  }

  function applyLog(line) {
    if (line.id && line.id <= lastLogId) return;
    lastLogId = line.id || lastLogId;
    const log = $("log");
    const div = document.createElement("div");
    div.className = "log-" + (line.level || "INFO").toLowerCase();
    div.textContent = `${(line.at || "").slice(11, 19)} ${line.level} ${line.message}`;
    log.appendChild(div);
    while (log.childNodes.length > 500) log.removeChild(log.firstChild);
    log.scrollTop = log.scrollHeight;
  }

  function applyStatus(s) {
    status = s;
    const badge = $("status");
    badge.textContent = s.status_display + (s.control ? ` (${s.control} requested)` : "");
    badge.className = "badge status-" + s.status;
    if (s.device) $("device").textContent = s.device;
    $("error").hidden = !s.error;
    $("error").textContent = s.error || "";
    for (const [action, allowed] of Object.entries(s.controls || {})) {
      const button = $(action + "-button");
      if (button) button.disabled = !allowed;
    }
    laterRunsSeconds =
      s.queue_remaining_seconds !== null && s.queue_remaining_seconds !== undefined && s.remaining_seconds !== null
        ? s.queue_remaining_seconds - s.remaining_seconds
        : null;
    if (s.remaining_seconds !== null && s.remaining_seconds !== undefined) showEta(s.remaining_seconds);
    showSummary();
    refreshCrossValidation(s.out_of_fold);
    drawSequence(s.sequence_runs);
  }

  // "Train all": each model of the sequence with its status, this run's in bold.
  function drawSequence(runs) {
    const line = $("sequence");
    if (!line || !runs || !runs.length) return;
    line.textContent = "Train all: ";
    runs.forEach((item, index) => {
      const link = document.createElement("a");
      link.href = item.url;
      link.textContent = `${item.model_type} (${item.status_display.toLowerCase()})`;
      if (status && item.run === status.run) link.className = "current";
      if (index) line.append(" → ");
      line.append(link);
    });
  }

  // The out-of-fold section is drawn by the server: when the run says it changed (the folds finished, the run
  // ended before them), fetch this page again and take its section.
  let fetchingCrossValidation = false;
  function refreshCrossValidation(state) {
    const section = $("cross-validation");
    if (!section || !state || section.dataset.state === state || fetchingCrossValidation) return;
    fetchingCrossValidation = true;
    fetch(location.href, { credentials: "same-origin" })
      .then((response) => (response.ok ? response.text() : Promise.reject(response.status)))
      .then((html) => {
        const fresh = new DOMParser().parseFromString(html, "text/html").getElementById("cross-validation");
        if (fresh) $("cross-validation").replaceWith(fresh);
      })
      .catch(() => {})  // the next status event, or a reload, tries again
      .finally(() => { fetchingCrossValidation = false; });
  }

  function showSummary() {
    if (!status || status.status !== "succeeded") return;
    const rows = [...epochs.values()].sort((a, b) => a.epoch - b.epoch);
    const last = rows[rows.length - 1];
    const body = $("summary-table").querySelector("tbody");
    body.textContent = "";
    for (const [key, value] of Object.entries((last && last.metrics) || {})) {
      if (typeof value !== "number") continue;
      const tr = document.createElement("tr");
      tr.innerHTML = "<th></th><td></td>";
      tr.firstChild.textContent = key;
      tr.lastChild.textContent = value.toFixed(4);
      body.appendChild(tr);
    }
    $("summary").hidden = false;
    if (status.report_url) {
      $("report-link").href = status.report_url;
      $("report-link").hidden = false;
    }
  }

  function applySnapshot(snapshot) {
    epochs = new Map();
    lastLogId = 0;
    $("log").textContent = "";
    snapshot.epochs.forEach((row) => epochs.set(row.epoch, row));
    snapshot.log.forEach(applyLog);
    redraw();
    const p = snapshot.progress || {};
    if (p.epoch) setProgress(p.epoch, p.epochs, p.batch || 0, p.batches || 0);
    showMemory(p.memory);
    showEta(snapshot.status.remaining_seconds);
    applyStatus(snapshot.status);
  }

  // Events can go missing on the way: a worker whose publish to Redis failed skips its epoch and log events for a
  // while (training/groups.py), and they are not sent again. The database has them, and the snapshot is read from it:
  // the page takes it again when an epoch arrives after a gap, and when the run's state changes (status events are
  // always published), so a run that ended meanwhile shows its last epochs and log lines without a reload.
  let resyncing = false;
  function resync() {
    if (resyncing) return;
    resyncing = true;
    reconnect(0);
  }

  function handle(message) {
    switch (message.type) {
      case "snapshot": resyncing = false; applySnapshot(message); break;
      case "epoch": {
        const last = epochs.size ? Math.max(...epochs.keys()) : 0;
        applyEpoch(message);
        if (message.epoch > last + 1) resync();
        break;
      }
      case "progress": setProgress(message.epoch, message.epochs, message.batch, message.batches); break;
      case "log": applyLog(message); break;
      case "status": {
        const before = status && status.status;
        applyStatus(message);
        if (before && before !== message.status) resync();
        break;
      }
      case "sequence": drawSequence(message.runs); break;
      case "refused": refusal = message.error; break;  // why the close (4403) that follows came
    }
  }

  let socket = null;
  let retry = 0;
  let refusal = null;
  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + wsPath);
    socket.onopen = () => { $("connection").textContent = "live"; $("connection").dataset.state = "live"; };
    // The wait before a reconnect starts again once the snapshot came: a socket closed at once (4503) keeps backing off.
    socket.onmessage = (e) => { retry = 0; handle(JSON.parse(e.data)); };
    socket.onclose = (e) => {
      $("connection").dataset.state = "closed";
      if (e.code === 4403) { $("connection").textContent = refusal || "not allowed: log in again"; return; }
      if (e.code === 4404) { $("connection").textContent = "this run was deleted: nothing more will come"; return; }
      // 4503: the server cannot reach Redis, which carries the live events; the page shows what it loaded until then.
      $("connection").textContent = e.code === 4503 ? "live updates unavailable: the server cannot reach Redis; retrying…" : "reconnecting…";
      reconnect(Math.min(10000, 500 * 2 ** retry++));
    };
  }
  function reconnect(delay) {
    if (socket && socket.readyState <= 1) { socket.onclose = null; socket.close(); }
    setTimeout(connect, delay);
  }

  document.querySelectorAll(".controls form").forEach((form) => {
    form.addEventListener("submit", (e) => {
      const action = form.querySelector("button").dataset.action;
      if (action === "cancel" && !confirm("Cancel this training run? It cannot be continued afterwards.")) e.preventDefault();
    });
  });
  const tensorboard = $("tensorboard");
  tensorboard.addEventListener("toggle", () => {
    const frame = tensorboard.querySelector("iframe");
    if (tensorboard.open && !frame.src) frame.src = frame.dataset.src;
  });

  handle(JSON.parse($("run-snapshot").textContent));
  connect();
})();
