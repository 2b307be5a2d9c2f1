// The statistics page's charts, drawn from the same numbers as its tables (json_script "chart-data").
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("chart-data").textContent);
  // A canvas knows only the fonts it is told: the page's, with the app's CJK font for the class names.
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  const palette = ["#2563eb", "#f59e0b", "#10b981", "#ef4444"];
  const common = { animation: false, responsive: true, maintainAspectRatio: false, plugins: { legend: { position: "bottom" } } };
  let drawn = 0;
  function chart(id, config) {
    new Chart(document.getElementById(id), { ...config, options: { ...common, ...(config.options || {}) } });
    drawn += 1;
  }
  // Class balance per view: one bar group per view, one bar per defect class.
  chart("chart-balance", {
    type: "bar",
    data: {
      labels: Object.keys(data.balance),
      datasets: data.defects.map((label, i) => ({
        label,
        data: Object.values(data.balance).map((row) => row[i]),
        backgroundColor: palette[i % palette.length],
      })),
    },
  });
  chart("chart-boxes", {
    type: "bar",
    data: {
      labels: data.boxes_per_picture.map(([boxes]) => `${boxes} box${boxes === 1 ? "" : "es"}`),
      datasets: [{ label: "pictures", data: data.boxes_per_picture.map(([, pictures]) => pictures), backgroundColor: palette[0] }],
    },
  });
  chart("chart-sizes", {
    type: "bar",
    data: {
      labels: data.sizes.map(([edge]) => `${edge}-${edge + data.size_bin - 1} px`),
      datasets: [
        { label: "widths", data: data.sizes.map(([, widths]) => widths), backgroundColor: palette[0] },
        { label: "heights", data: data.sizes.map(([, , heights]) => heights), backgroundColor: palette[1] },
      ],
    },
  });
  document.body.dataset.charts = String(drawn);
})();
