/* QENEX staff portal: live dashboard (Chart.js) and live account page, over Channels WebSockets.
 * No inline script anywhere (the CSP forbids it): pages carry their data in data-* attributes and
 * <script type="application/json"> blocks (Django's json_script), and this file does the rest.
 * Everything is written with textContent, never innerHTML.
 */
(function () {
  "use strict";

  /* Once the page is being left (a form was sent, a link followed) no new request starts: the navigation
   * would cancel it, and an update this page caused itself (a transfer posted here) would arrive just then. */
  var leaving = false;
  window.addEventListener("beforeunload", function () {
    leaving = true;
    /* A navigation that turned into a download leaves the page in place: wake up again. */
    window.setTimeout(function () { leaving = false; }, 5000);
  });
  window.addEventListener("pageshow", function () { leaving = false; });

  var PALETTE = ["#0b4f8a", "#c2410c", "#15803d", "#7e22ce", "#b91c1c", "#0e7490", "#a16207", "#4d4d4d",
    "#be185d", "#1d4ed8", "#65a30d", "#9333ea", "#0f766e"];

  function wsUrl(path) {
    return (window.location.protocol === "https:" ? "wss://" : "ws://") + window.location.host + path;
  }

  /* Keep a socket open (reconnecting with back-off) and report its state in the page's live-state line. */
  function liveSocket(path, handlers) {
    var state = document.querySelector("[data-live-state]");
    var delay = 1000;
    function say(text, cls) {
      if (state) { state.textContent = text; state.className = "live-state " + (cls || ""); }
    }
    function open() {
      var socket = new WebSocket(wsUrl(path));
      socket.addEventListener("open", function () {
        delay = 1000;
        say("Live: updates appear without reloading.", "on");
        if (handlers.open) { handlers.open(); }
      });
      socket.addEventListener("message", function (event) {
        if (leaving) { return; }
        var data;
        try { data = JSON.parse(event.data); } catch (e) { return; }
        handlers.message(data);
      });
      socket.addEventListener("close", function (event) {
        if (leaving) { return; }
        if (event.code === 4403 || event.code === 4404) {
          say("Live updates are not available for this page (" + event.code + ").", "off");
          return;
        }
        say("Live updates paused; reconnecting…", "off");
        window.setTimeout(open, delay);
        delay = Math.min(delay * 2, 30000);
      });
    }
    open();
  }

  function cell(row, text, className) {
    var td = document.createElement("td");
    td.textContent = text;
    if (className) { td.className = className; }
    row.appendChild(td);
    return td;
  }

  function fillTable(table, rows, emptyText, columns) {
    var body = table.tBodies[0];
    while (body.firstChild) { body.removeChild(body.firstChild); }
    if (!rows.length) {
      var tr = document.createElement("tr");
      var td = cell(tr, emptyText);
      td.colSpan = columns;
      body.appendChild(tr);
      return;
    }
    rows.forEach(function (values) {
      var tr = document.createElement("tr");
      values.forEach(function (v) { cell(tr, v[0], v[1]); });
      body.appendChild(tr);
    });
  }

  /* --- dashboard --------------------------------------------------------------------------------------- */

  function unique(values) {
    var seen = [];
    values.forEach(function (v) { if (seen.indexOf(v) < 0) { seen.push(v); } });
    return seen;
  }

  function volumesChartData(summary) {
    var types = unique(summary.volumes.map(function (v) { return v.type; }));
    var currencies = unique(summary.volumes.map(function (v) { return v.currency; }));
    return {
      labels: types,
      datasets: currencies.map(function (cur, i) {
        return {
          label: cur,
          backgroundColor: PALETTE[i % PALETTE.length],
          data: types.map(function (t) {
            var found = summary.volumes.filter(function (v) { return v.type === t && v.currency === cur; })[0];
            return found ? found.count : 0;
          })
        };
      })
    };
  }

  function paymentsChartData(summary) {
    var rails = summary.payments.map(function (p) { return p.rail; });
    var statuses = unique([].concat.apply([], summary.payments.map(function (p) { return Object.keys(p.statuses); })));
    return {
      labels: rails,
      datasets: statuses.map(function (status, i) {
        return {
          label: status,
          backgroundColor: PALETTE[i % PALETTE.length],
          data: summary.payments.map(function (p) { return p.statuses[status] || 0; })
        };
      })
    };
  }

  function makeChart(canvasId, data, stacked) {
    var canvas = document.getElementById(canvasId);
    if (!canvas || !window.Chart) { return null; }
    return new window.Chart(canvas, {
      type: "bar",
      data: data,
      options: {
        animation: false,
        maintainAspectRatio: false,
        plugins: { legend: { position: "bottom" } },
        scales: {
          x: { stacked: stacked },
          y: { stacked: stacked, beginAtZero: true, ticks: { precision: 0 } }
        }
      }
    });
  }

  function renderSummary(summary, charts) {
    document.querySelectorAll("[data-waiting]").forEach(function (el) {
      el.textContent = String(summary.waiting[el.getAttribute("data-waiting")]);
    });
    var since = document.querySelector("[data-summary=since]");
    if (since) { since.textContent = summary.since; }
    fillTable(document.getElementById("table-volumes"), summary.volumes.map(function (v) {
      return [[v.type], [v.currency], [String(v.count), "num"], [v.amount + " " + v.currency, "num"]];
    }), "Nothing posted today.", 4);
    var payments = [];
    summary.payments.forEach(function (p) {
      Object.keys(p.statuses).forEach(function (s) { payments.push([[p.rail], [s], [String(p.statuses[s]), "num"]]); });
    });
    fillTable(document.getElementById("table-payments"), payments, "No payments today.", 3);
    fillTable(document.getElementById("table-holds"), summary.holds.map(function (h) {
      return [[h.currency], [String(h.count), "num"], [h.amount + " " + h.currency, "num"]];
    }), "No open holds.", 3);
    if (charts.volumes) { charts.volumes.data = volumesChartData(summary); charts.volumes.update(); }
    if (charts.payments) { charts.payments.data = paymentsChartData(summary); charts.payments.update(); }
  }

  function dashboard() {
    var dataBlock = document.getElementById("dashboard-data");
    if (!dataBlock) { return; }
    var summary = JSON.parse(dataBlock.textContent);
    var charts = {
      volumes: makeChart("chart-volumes", volumesChartData(summary), false),
      payments: makeChart("chart-payments", paymentsChartData(summary), true)
    };
    liveSocket("/ws/portal/dashboard", { message: function (s) { renderSummary(s, charts); } });
  }

  /* --- account page ------------------------------------------------------------------------------------- */

  function account() {
    var root = document.getElementById("account");
    if (!root || !root.getAttribute("data-live-url")) { return; }
    var liveUrl = root.getAttribute("data-live-url");
    var latest = parseInt(root.getAttribute("data-latest"), 10) || 0;
    var statement = document.getElementById("statement");
    var busy = false;
    var again = false;

    function addRows(rows) {
      var body = statement.tBodies[0];
      var empty = body.querySelector("tr.empty");
      if (rows.length && empty) { body.removeChild(empty); }
      rows.slice().reverse().forEach(function (r) {  /* rows come newest first: insert oldest first */
        if (body.querySelector("tr[data-posting='" + r.id + "']")) { return; }
        var tr = document.createElement("tr");
        tr.setAttribute("data-posting", String(r.id));
        tr.className = "new";
        cell(tr, r.posted, "nowrap");
        cell(tr, r.transaction);
        cell(tr, r.type);
        cell(tr, r.description);
        cell(tr, r.amount, "num " + r.direction);
        cell(tr, r.balance_after, "num");
        body.insertBefore(tr, body.firstChild);
        latest = Math.max(latest, r.id);
      });
    }

    function refresh() {
      if (leaving) { return; }
      if (busy) { again = true; return; }
      busy = true;
      root.setAttribute("data-busy", "");  /* while a fetch runs (tests wait for it to end before navigating) */
      fetch(liveUrl + "?after=" + latest, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) { return; }
          ["balance", "available", "held", "status"].forEach(function (name) {
            var el = root.querySelector("[data-fact=" + name + "]");
            if (el && el.textContent !== data[name]) { el.textContent = data[name]; el.classList.add("changed"); }
          });
          addRows(data.rows);
        })
        .catch(function () { /* the next update tries again */ })
        .then(function () {
          busy = false;
          if (again) { again = false; refresh(); return; }
          root.removeAttribute("data-busy");
          root.setAttribute("data-synced", "");  /* caught up with the server at least once */
        });
    }

    liveSocket("/ws/accounts/" + encodeURIComponent(root.getAttribute("data-account")) + "/balance", {
      open: refresh,  /* catch up with anything posted between the page's render and the socket's opening */
      message: refresh
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    dashboard();
    account();
  });
}());
