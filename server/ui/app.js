// pvsc dashboard: renders each summary the server sends (server-sent events) with DOM
// text nodes only, so nothing the cloud names is ever parsed as HTML.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const el = (tag, text, cls) => {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  };
  const row = (cells) => {
    const tr = el("tr");
    for (const c of cells) tr.appendChild(el("td", c));
    return tr;
  };
  const fill = (tbody, rows) => {
    tbody.replaceChildren(...rows);
  };

  function renderProperties(props) {
    const grid = $("properties");
    grid.replaceChildren(...props.map((p) => {
      const card = el("div", undefined, "card");
      card.dataset.property = p.property;
      card.appendChild(el("b", p.property));
      card.appendChild(el("small", " N-th " + p.threshold + ", " + p.watched_total + " watched"));
      const hist = el("table");
      const ncp = p.ncp || [], watched = p.watched || [];
      const max = Math.max(1, ...ncp);
      ncp.forEach((n, i) => {
        if (i === 0 && n === 0) return;
        const tr = el("tr");
        tr.appendChild(el("td", i === 0 ? "unreachable" : "N-cp " + i));
        const bar = el("span", undefined, "bar" + (i > 0 && i <= p.threshold ? " th" : ""));
        bar.style.width = Math.max(2, Math.round(160 * n / max)) + "px";
        const td = el("td");
        td.appendChild(bar);
        td.appendChild(el("small", " " + n));
        tr.appendChild(td);
        hist.appendChild(tr);
      });
      card.appendChild(hist);
      if (watched.length) {
        const w = el("table");
        w.appendChild(row(["watched scope", "N-cp", "watchlist"]));
        for (const s of watched) w.appendChild(row([s.scope, s.ncp, s.watchlist]));
        card.appendChild(w);
      }
      return card;
    }));
  }

  // A gate's refusal (MuSIC's admissible paths) denies what the properties allowed: its row
  // names the refusal's kind where a property would stand.
  function renderDenials(ds) {
    fill($("denials").tBodies[0], ds.flatMap((d) => d.refused ? [row([d.time, d.source, d.op, d.refused.kind, "", d.refused.message])] :
      (d.checks || []).filter((c) => c.verdict === "deny").map((c) =>
        row([d.time, d.source, d.op, c.property, c.scope || "", c.reason]))));
  }

  function renderFindings(fs) {
    fill($("findings").tBodies[0], fs.map((f) => row([f.first_seen, f.property, f.scope || "", f.reason])));
  }

  function renderStream(st) {
    const p = $("stream");
    if (!st) { p.replaceChildren(el("span", "no event stream")); return; }
    p.replaceChildren(st.in_doubt ? el("span", "context in doubt: critical operations fail closed", "bad") : el("span", "in sync", "ok"),
      el("span", "; journal " + st.journal + ", last event " + (st.last_event || "none") + ", last resync " + (st.last_resync || "none")));
  }

  let source;
  function connect() {
    if (source) source.close();
    const q = $("search").value.trim();
    source = new EventSource("/ui/events" + (q ? "?scope=" + encodeURIComponent(q) : ""));
    source.onmessage = (ev) => {
      const s = JSON.parse(ev.data);
      renderProperties(s.properties || []);
      renderDenials(s.denials || []);
      renderFindings(s.findings || []);
      renderStream(s.stream);
      $("updated").textContent = new Date().toISOString().replace("T", " ").slice(0, 19) + " UTC";
      document.body.dataset.ready = "1";
    };
  }
  let timer;
  $("search").addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(connect, 250); });
  connect();
})();
