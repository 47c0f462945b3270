// Keyboard shortcuts for fast triage. No other script runs in the review app.
(function () {
  "use strict";
  function typing(event) {
    var tag = (event.target && event.target.tagName) || "";
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || event.target.isContentEditable;
  }
  function go(id) {
    var link = document.getElementById(id);
    if (link) { window.location.href = link.getAttribute("href"); }
  }
  function decide(verdict) {
    var form = document.getElementById("verdict-form");
    var reviewer = document.getElementById("reviewer");
    if (!form) { return; }
    document.getElementById("v-" + verdict).checked = true;
    if (!reviewer.value) { reviewer.focus(); return; }
    form.requestSubmit();
  }
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.row"));
  var selected = rows.length ? 0 : -1;
  function select(index) {
    if (!rows.length) { return; }
    selected = Math.max(0, Math.min(rows.length - 1, index));
    rows.forEach(function (row, i) { row.classList.toggle("selected", i === selected); });
    rows[selected].scrollIntoView({block: "nearest"});
  }
  if (rows.length) { select(0); }
  document.addEventListener("keydown", function (event) {
    if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) { return; }
    var key = event.key;
    if (rows.length) {
      if (key === "j") { select(selected + 1); }
      else if (key === "k") { select(selected - 1); }
      else if (key === "Enter" && selected >= 0) { window.location.href = rows[selected].dataset.href; }
      else { return; }
    } else {
      if (key === "c") { decide("confirmed"); }
      else if (key === "d") { decide("dismissed"); }
      else if (key === "o") { decide("open"); }
      else if (key === "n" || key === "j") { go("next"); }
      else if (key === "p" || key === "k") { go("prev"); }
      else if (key === "u") { go("back"); }
      else if (key === "e") { document.getElementById("note").focus(); }
      else { return; }
    }
    event.preventDefault();
  });
})();
