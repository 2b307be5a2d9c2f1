// Library upload: many pictures and zips at once, with a progress bar and one line per file.
"use strict";

(() => {
  const box = document.getElementById("upload");
  if (!box) return;
  const input = document.getElementById("upload-input");
  const zone = document.getElementById("dropzone");
  const progress = document.getElementById("upload-progress");
  const status = document.getElementById("upload-status");
  const results = document.getElementById("upload-results");
  const csrf = box.querySelector("input[name=csrfmiddlewaretoken]").value;
  let uploading = false; // leaving the page cancels the upload (or loses its results): the browser asks first

  function show(result) {
    const item = document.createElement("li");
    item.className = result.status;
    item.textContent = `${result.name}: ${result.message}`;
    if (result.image_id) {
      const link = document.createElement("a");
      link.href = `/images/${result.image_id}/annotate/`;
      link.textContent = " open";
      item.append(link);
    }
    results.append(item);
  }

  function upload(files) {
    if (!files.length) return;
    const form = new FormData();
    for (const file of files) form.append("files", file, file.name);
    form.append("wire_group", document.getElementById("upload-group").value);
    const request = new XMLHttpRequest();
    request.open("POST", box.dataset.url);
    request.setRequestHeader("X-CSRFToken", csrf);
    request.setRequestHeader("Accept", "application/json");
    uploading = true;
    request.onloadend = () => {
      uploading = false;
    };
    progress.hidden = false;
    progress.value = 0;
    status.textContent = `Uploading ${files.length} file${files.length === 1 ? "" : "s"}…`;
    results.replaceChildren();
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) progress.value = (100 * event.loaded) / event.total;
      if (event.loaded === event.total) status.textContent = "Checking the pictures and making display copies…";
    };
    request.onload = () => {
      progress.value = 100;
      let body;
      try {
        body = JSON.parse(request.responseText);
      } catch {
        status.textContent = `The upload failed (server answered ${request.status}). Try again with fewer files.`;
        return;
      }
      if (request.status !== 200) {
        status.textContent = body.error || `The upload failed (${request.status}).`;
        return;
      }
      const c = body.counts;
      status.textContent = `${c.created} added, ${c.duplicate} already in the library, ${c.error} refused. Reload: new pictures come first in the grid.`;
      body.results.forEach(show);
      status.dataset.done = "1";
    };
    request.onerror = () => {
      status.textContent = "The upload did not reach the server. Check the connection and try again; nothing was lost on your side.";
    };
    request.send(form);
  }

  window.addEventListener("beforeunload", (event) => {
    if (uploading) event.preventDefault();
  });
  input.addEventListener("change", () => upload([...input.files]));
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    upload([...event.dataTransfer.files]);
  });
})();
