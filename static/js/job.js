// Poll a job's status file until it finishes, then reload to show the result.
(function () {
  "use strict";
  const job = document.getElementById("job");
  if (!job || job.dataset.finished === "1") return;
  const message = document.getElementById("job-message");
  async function poll() {
    try {
      const response = await fetch(job.dataset.statusUrl, { headers: { Accept: "application/json" } });
      if (response.status === 404) {
        // Old jobs are removed: the page, loaded again, says so in the server's words.
        window.location.reload();
        return;
      }
      const isJson = (response.headers.get("Content-Type") || "").includes("application/json");
      if (response.status === 403) {
        // Still logged in, but an admin took the role away: logging in again would not help.
        message.textContent =
          "The progress is not updating: your account no longer has a role that may see this job. Ask an admin to give it back; this page then goes on by itself.";
      } else if (response.redirected || !isJson) {
        // A login page instead of an answer: the session ended; the job itself goes on.
        message.textContent = "The progress is not updating: you are logged out. Log in again in another tab; this page then goes on by itself.";
      } else if (response.ok) {
        const status = await response.json();
        document.getElementById("job-state").textContent = status.state;
        document.getElementById("job-progress").textContent = status.done + "/" + status.total;
        document.getElementById("job-bar").value = status.percent;
        message.textContent = status.message;
        if (status.finished) {
          window.location.reload();
          return;
        }
      } else {
        message.textContent = `The server answered ${response.status}; retrying.`;
      }
    } catch (error) {
      message.textContent = "Lost contact with the server; retrying.";
    }
    window.setTimeout(poll, 1000);
  }
  window.setTimeout(poll, 1000);
})();
