// Keeps the recent-events table current: polls the feed every 2 s and prepends new rows.
// Rows are built with textContent, never innerHTML, so event data cannot inject markup.
(function () {
  "use strict";
  var table = document.getElementById("events");
  if (!table) { return; }
  var body = table.tBodies[0];
  var status = document.getElementById("live-status");
  var empty = document.getElementById("no-events");
  var after = Number(table.dataset.after) || 0;
  var maxRows = 200;

  function cell(row, text, className) {
    var td = row.insertCell();
    td.textContent = text === null || text === undefined ? "" : String(text);
    if (className) { td.className = className; }
    return td;
  }

  function add(event) {
    var row = body.insertRow(0);
    row.className = "fresh";
    cell(row, event.position, "num");
    var type = cell(row, "");
    var link = document.createElement("a");
    link.href = event.url;
    var code = document.createElement("code");
    code.textContent = event.type;
    link.appendChild(code);
    type.appendChild(link);
    cell(row, event.source);
    cell(row, event.stream);
    cell(row, event.installation_id);
    cell(row, event.occurred_at);
    after = Math.max(after, event.position);
  }

  function poll() {
    fetch(table.dataset.feed + "?after=" + after, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) { throw new Error("feed answered " + response.status); }
        return response.json();
      })
      .then(function (events) {
        events.forEach(add);
        if (events.length) { table.hidden = false; if (empty) { empty.hidden = true; } }
        while (body.rows.length > maxRows) { body.deleteRow(-1); }
        if (status) { status.className = "live"; status.textContent = "live"; }
      })
      .catch(function () {
        if (status) { status.className = "live stale"; status.textContent = "reconnecting"; }
      })
      .finally(function () { window.setTimeout(poll, 2000); });
  }

  window.setTimeout(poll, 2000);
})();
