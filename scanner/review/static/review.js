// Keyboard shortcuts and the small conveniences of triage at volume. The app works
// without this script (forms and links); it only makes a reviewer faster.
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
  function click(id) {
    var button = document.getElementById(id);
    if (button) { button.click(); }
  }

  // A verdict needs a name: say so plainly instead of silently focusing a field.
  function askForName(field) {
    var prompt = document.getElementById("name-prompt");
    if (prompt) { prompt.classList.add("urgent"); prompt.scrollIntoView({block: "center"}); }
    field.focus();
  }
  function decide(verdict) {
    var form = document.getElementById("verdict-form");
    var reviewer = document.getElementById("reviewer");
    if (!form) { return; }
    document.getElementById("v-" + verdict).checked = true;
    if (!reviewer.value.trim()) { askForName(reviewer); return; }
    form.requestSubmit();
  }

  // The list: filters apply as they change; the row last visited is selected again.
  var filters = document.getElementById("filters");
  if (filters) {
    Array.prototype.forEach.call(filters.querySelectorAll("select"), function (select) {
      select.addEventListener("change", function () { filters.submit(); });
    });
  }
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.row"));
  var selected = rows.length ? 0 : -1;
  function select(index) {
    if (!rows.length) { return; }
    selected = Math.max(0, Math.min(rows.length - 1, index));
    rows.forEach(function (row, i) { row.classList.toggle("selected", i === selected); });
    rows[selected].scrollIntoView({block: "nearest"});
  }
  if (rows.length) {
    var back = window.location.hash.slice(1);
    var at = rows.findIndex(function (row) { return row.id === back; });
    select(at >= 0 ? at : 0);
    if (at >= 0) { rows[at].scrollIntoView({block: "center"}); }
  }

  // Several claims at once: tick them (or x on the selected row), then one verdict and note.
  var picks = Array.prototype.slice.call(document.querySelectorAll("input.pick"));
  var all = document.getElementById("select-all");
  var count = document.getElementById("selected-count");
  function counted() {
    var n = picks.filter(function (p) { return p.checked; }).length;
    if (count) { count.textContent = n + " selected"; }
    rows.forEach(function (row, i) { row.classList.toggle("picked", picks[i] && picks[i].checked); });
    return n;
  }
  picks.forEach(function (p) { p.addEventListener("change", counted); });
  if (all) {
    all.addEventListener("change", function () {
      picks.forEach(function (p) { p.checked = all.checked; });
      counted();
    });
  }
  var bulk = document.getElementById("bulk");
  if (bulk) {
    bulk.addEventListener("submit", function (event) {
      if (!counted()) { event.preventDefault(); count.classList.add("urgent"); }
    });
  }
  counted();

  document.addEventListener("keydown", function (event) {
    if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) { return; }
    var key = event.key;
    if (key === "z") { click("undo"); }
    else if (rows.length) {
      if (key === "j") { select(selected + 1); }
      else if (key === "k") { select(selected - 1); }
      else if (key === "x" && picks[selected]) { picks[selected].checked = !picks[selected].checked; counted(); }
      else if (key === "/") { document.getElementById("search").focus(); }
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
      else if (key === "/") { go("back"); }
      else { return; }
    }
    event.preventDefault();
  });
})();
