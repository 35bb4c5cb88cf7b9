// The FX dealing page polls its live JSON every two seconds (prices, positions, P&L, deals).
(function () {
  function rows(id, list) {
    var body = document.querySelector("#" + id + " tbody");
    if (!list.length) { return; }
    body.replaceChildren.apply(body, list.map(function (cells) {
      var tr = document.createElement("tr");
      cells.forEach(function (c) { var td = document.createElement("td"); td.textContent = c; tr.appendChild(td); });
      return tr;
    }));
  }
  function refresh() {
    fetch(document.getElementById("fx-dealing").dataset.live, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (d) {
      rows("fx-prices", Object.keys(d.prices).map(function (k) { var p = d.prices[k]; return [k, p.bid, p.offer, p.at]; }));
      rows("fx-positions", Object.keys(d.positions).map(function (k) { return [k, d.positions[k]]; }));
      rows("fx-pnl", Object.keys(d.pnl).map(function (k) { var p = d.pnl[k]; return [k, p.currency, p.realised, p.unrealised]; }));
      rows("fx-deals", d.deals.map(function (x) { return [x.id, x.pair, x.side, x.rate, x.status]; }));
    }).catch(function () {});
  }
  setInterval(refresh, 2000);
})();
