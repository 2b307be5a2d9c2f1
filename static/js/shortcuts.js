// The ? overlay of a page's keyboard shortcuts (templates/_shortcuts_overlay.html): ? opens it, Esc closes it.
(function () {
  "use strict";
  const overlay = document.getElementById("shortcuts-overlay");
  document.addEventListener("keydown", (event) => {
    if (event.key !== "?" || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest && event.target.closest("input, select, textarea")) return;
    if (document.querySelector("dialog[open]:not(#shortcuts-overlay)")) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    if (overlay.open) overlay.close();
    else overlay.showModal();
  }, true);
})();
