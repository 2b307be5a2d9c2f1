// The launch form: show the settings of the chosen model, fill them from the chosen preset.
(function () {
  const presets = JSON.parse(document.getElementById("presets").textContent);
  const model = document.getElementById("id_model_type");
  const preset = document.getElementById("id_preset");
  function show() {
    document.querySelectorAll(".settings").forEach((box) => {
      box.hidden = model.value !== "all" && box.dataset.model !== model.value;
    });
  }
  preset.addEventListener("change", () => {
    for (const [type, text] of Object.entries(presets[preset.value])) document.getElementById(`id_${type}_settings`).value = text;
  });
  model.addEventListener("change", show);
  show();
})();
