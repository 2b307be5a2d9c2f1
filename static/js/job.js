// Poll a job's status file until it finishes, then reload to show the result.
(function () {
  "use strict";
  const job = document.getElementById("job");
  if (!job || job.dataset.finished === "1") return;
  async function poll() {
    try {
      const response = await fetch(job.dataset.statusUrl, { headers: { Accept: "application/json" } });
      if (response.ok) {
        const status = await response.json();
        document.getElementById("job-state").textContent = status.state;
        document.getElementById("job-progress").textContent = status.done + "/" + status.total;
        document.getElementById("job-bar").value = status.percent;
        document.getElementById("job-message").textContent = status.message;
        if (status.finished) {
          window.location.reload();
          return;
        }
      }
    } catch (error) {
      document.getElementById("job-message").textContent = "Lost contact with the server; retrying.";
    }
    window.setTimeout(poll, 1000);
  }
  window.setTimeout(poll, 1000);
})();
