// Review queue keys: A accept, R reject, C correct (opens the picture), J/K next/previous.
(function () {
  "use strict";
  const table = document.getElementById("queue");
  if (!table) return;
  const rows = Array.from(table.querySelectorAll("tbody tr"));
  const message = document.getElementById("review-message");
  // Read at every decision: logging in again rotates the token.
  const csrfToken = () => decodeURIComponent((document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/) || [])[1] || "");
  let index = 0;
  const inFlight = new Set(); // decisions on their way: leaving the page would cancel them

  function select(next) {
    if (!rows.length) return;
    index = Math.max(0, Math.min(rows.length - 1, next));
    rows.forEach((row, i) => row.classList.toggle("current", i === index));
    rows[index].scrollIntoView({ block: "nearest" });
  }

  function nextPending() {
    const after = rows.findIndex((row, i) => i > index && !row.dataset.decided);
    select(after === -1 ? index : after);
  }

  function decide(decision) {
    const flight = send(decision);
    inFlight.add(flight);
    flight.finally(() => inFlight.delete(flight));
  }

  async function send(decision) {
    const position = index;
    const row = rows[position];
    if (!row || row.dataset.decided) return;
    // The next key is for the next box: a quick A, A decides two boxes, not this one twice.
    row.dataset.decided = "saving";
    row.querySelector(".state").textContent = "saving…";
    nextPending();
    function notSaved(text) {
      delete row.dataset.decided;
      row.querySelector(".state").textContent = "pending";
      message.textContent = text;
      select(position);
    }
    const url = table.dataset.decideUrl.replace("/0/", "/" + row.dataset.id + "/");
    let response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: {
          "X-CSRFToken": csrfToken(),
          // Refused when this browser is now logged in as someone else (in another tab): not recorded as theirs.
          "X-Wiresag-Page-User": encodeURIComponent(table.dataset.username),
          "X-Wiresag-Page-User-Id": table.dataset.userKey, // the same account under another name: it was renamed
          "Content-Type": "application/x-www-form-urlencoded",
          Accept: "application/json",
        },
        body: new URLSearchParams({ decision: decision }),
      });
    } catch {
      notSaved("The decision was not saved: the server cannot be reached. The box stays pending; check the connection and press the key again.");
      return;
    }
    const isJson = (response.headers.get("Content-Type") || "").includes("application/json");
    if (response.redirected || !isJson) {
      // A login page instead of an answer: the session ended.
      notSaved("The decision was not saved: you are logged out. Log in again in another tab, then press the key again.");
      return;
    }
    const data = await response.json();
    if (!response.ok) {
      notSaved(data.error || "The decision was not saved; reload the page and try again.");
      return;
    }
    row.dataset.decided = data.review_state;
    row.classList.add(data.review_state);
    row.querySelector(".state").textContent = data.review_state;
    message.textContent = "Saved: " + data.review_state + ".";
  }

  document.addEventListener("keydown", (event) => {
    if (event.target.closest("input, select, textarea") || event.ctrlKey || event.metaKey || event.altKey) return;
    if (document.getElementById("shortcuts-overlay").open) return;
    const key = event.key.toLowerCase();
    if (key === "j") select(index + 1);
    else if (key === "k") select(index - 1);
    else if (key === "a") decide("accept");
    else if (key === "r") decide("reject");
    else if (key === "c" && rows[index]) {
      const url = rows[index].dataset.annotateUrl;
      Promise.allSettled([...inFlight]).then(() => { window.location.href = url; }); // the decisions first
    }
    else return;
    event.preventDefault();
  });
  window.addEventListener("beforeunload", (event) => {
    if (inFlight.size) event.preventDefault();
  });
  select(0);
})();
