(function () {
  "use strict";
  function openTarget() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    if (!id) return;
    var el = document.getElementById(id);
    if (el && el.tagName === "DETAILS") { el.open = true; el.scrollIntoView({block: "start"}); }
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();
  function all(open) {
    var steps = document.querySelectorAll("details.step");
    for (var i = 0; i < steps.length; i++) steps[i].open = open;
  }
  document.getElementById("expand-all").addEventListener("click", function () { all(true); });
  document.getElementById("collapse-all").addEventListener("click", function () { all(false); });
  document.getElementById("filter").addEventListener("input", function (ev) {
    var q = ev.target.value.toLowerCase();
    var steps = document.querySelectorAll("details.step");
    for (var i = 0; i < steps.length; i++) {
      var name = (steps[i].getAttribute("data-name") || "").toLowerCase();
      steps[i].classList.toggle("hidden", q !== "" && name.indexOf(q) < 0);
    }
  });
})();
