#include "scenarios/html_assets.hpp"

namespace relaylab::scn {

// Type for a projector: 20px base (26px with --large), IPA Gothic first for Japanese so that kanji
// take their Japanese forms (with lang="ja"), wide columns side by side at 1920 pixels.
std::string_view presenter_style() {
    return R"css(
body.presenter{font-size:20px;line-height:1.5;--sans:"IPAPGothic","IPAGothic","Noto Sans CJK JP","DejaVu Sans",sans-serif}
body.presenter.large{font-size:26px}
.presenter header{padding:10px 32px;flex:none}
/* The page is one screen: the header stays, main scrolls (so a screenshot shows where it opened). */
body.presenter{height:100vh;display:flex;flex-direction:column}
.presenter main{flex:1 1 auto;overflow:auto;min-height:0}
.presenter header h1{font-size:1.5em}
.presenter header .summary{font-size:.9em}
.presenter header a.jump{color:#ffd54f}
.presenter main{padding:16px 32px 60px}
.presenter h2{font-size:1.3em}
.presenter h3{font-size:1.05em;margin:12px 0 6px}
.presenter .story{font-size:1em;margin:0 0 10px;max-width:60em}
.presenter .compare{gap:28px}
.presenter .phone-col{width:min(420px,30vw)}
.presenter .phone-col figcaption{font-size:.8em}
.presenter .phone{padding:26px 14px 30px}
.presenter .screen{min-height:0}
.presenter .statusbar{font-size:.75em}
.presenter .mail-subject{font-size:1.15em}
.presenter .mail-body{font-size:1em}
.presenter .verdict{font-size:.85em}
.presenter .verdict .tag{font-size:.85em}
.presenter .verdict.unknown{background:#f1f3f6}
.presenter .truth,.presenter .dsn-card{flex:1 1 420px}
.presenter .dsn-card h3{font-size:.95em}
.presenter .dsn{font-size:.8em}
.presenter .dsn-who{font-size:.8em}
.runs{display:grid;gap:24px;align-items:start}
.runs.cols-2{grid-template-columns:minmax(0,1fr) minmax(0,1fr)}
.runs.cols-1{grid-template-columns:minmax(0,1fr)}
.presenter .stepper{position:sticky;top:0;z-index:3;box-shadow:0 -40px 0 0 #fff,0 2px 4px rgba(0,0,0,.08)}
.presenter .stepper button{font-size:.8em}
.presenter .stepper .go-decisive{background:#fff3c4;border-color:#e0a800}
.presenter .stepper .where{font-size:.8em}
ol.steps{list-style:none;margin:0;padding:0;border:1px solid var(--line);border-radius:8px}
ol.steps>li.row{display:grid;grid-template-columns:4.2em minmax(0,1fr);gap:0 10px;padding:6px 10px;border-top:1px solid #e3e8ef;cursor:pointer}
ol.steps>li.row:first-child{border-top:0}
ol.steps>li.row>.t{grid-row:1/span 3;text-align:left;font-size:.75em;padding:4px 0}
ol.steps>li.row>*:not(.t){grid-column:2;grid-row:auto}
ol.steps>li.row.future{opacity:.35}
ol.steps>li.row.current{background:#fff3c4;box-shadow:inset 5px 0 0 #e0a800}
ol.steps>li.row.decisive{outline:3px solid var(--perm);outline-offset:-3px}
.decisive-tag{display:inline-block;justify-self:start;font-size:.75em;font-weight:bold;color:#fff;background:var(--perm);border-radius:10px;padding:0 10px;margin-bottom:2px}
.inner{padding:2px 0}
.inner .who{display:inline-block;font-size:.7em;color:var(--muted);border:1px solid var(--line);border-radius:10px;padding:0 8px;margin-right:6px;vertical-align:2px}
.inner .caption{font-weight:bold}
.inner .when{display:block;font-size:.65em;color:var(--muted)}
.inner .wire{margin:3px 0 0;padding:3px 8px;background:#f3f5f8;border-radius:5px;font:.75em/1.4 var(--mono);white-space:pre-wrap;word-break:break-word}
.tone-permanent>.inner>.caption,.tone-permanent>details>summary .caption{color:var(--perm)}
.tone-temporary>.inner>.caption,.tone-temporary>details>summary .caption{color:var(--temp)}
.tone-good>.inner>.caption{color:var(--good)}
.inner.tone-permanent .wire{background:#fdecec;color:#8e1b1b;font-weight:bold}
.row details>summary{font-weight:bold;cursor:pointer}
.row details>summary .fold-hint{font-weight:normal;font-size:.65em;color:var(--muted)}
.row details[open]>.inner{margin-left:1.2em;border-left:3px solid var(--line);padding-left:10px}
.checks{margin-top:12px;font-size:.8em}
.checks ul{list-style:none;padding-left:1em}
.checks .pass{color:var(--good)}.checks .fail{color:var(--perm)}
@media print{.presenter .stepper{display:none}}
)css";
}

// Reads the page only through the DOM (textContent, never innerHTML): nothing from the run is code.
std::string_view presenter_script() {
    return R"js(
(function(){
  "use strict";
  var active = null, sections = [];
  function setup(sec) {
    var rows = sec.querySelectorAll("ol.steps > li.row"), n = rows.length;
    if (!n) return;
    var pos = sec.querySelector(".stepper .pos");
    var open = parseInt(sec.getAttribute("data-open-step"), 10) || n, at = open;
    function show(i, scroll) {
      at = Math.max(1, Math.min(n, i));
      for (var k = 0; k < n; k++) {
        rows[k].classList.toggle("future", k >= at);
        rows[k].classList.toggle("current", k === at - 1);
      }
      if (pos) pos.textContent = String(at);
      sec.setAttribute("data-at-step", String(at));
      if (scroll) rows[at - 1].scrollIntoView({block: "center"});
    }
    sec.go = function(where) {
      if (where === "first") show(1, true);
      else if (where === "last") show(n, true);
      else if (where === "prev") show(at - 1, true);
      else if (where === "next") show(at + 1, true);
      else if (where === "decisive") show(open, true);
    };
    sec.querySelectorAll(".stepper button").forEach(function(b) {
      b.addEventListener("click", function() { sec.go(b.getAttribute("data-go")); });
    });
    rows.forEach(function(r, k) { r.addEventListener("click", function() { show(k + 1, false); }); });
    sec.addEventListener("pointerdown", function() { active = sec; });
    show(open, false);
    sections.push(sec);
  }
  document.querySelectorAll("section.scenario").forEach(setup);
  var keys = {ArrowRight: "next", ArrowLeft: "prev", Home: "first", End: "last", j: "next", k: "prev", d: "decisive"};
  document.addEventListener("keydown", function(e) {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    var where = keys[e.key];
    if (!where) return;
    e.preventDefault();
    (active ? [active] : sections).forEach(function(s) { s.go(where); });
  });
  // The page opens on the decisive step (unless the address names another place).
  var decisive = document.getElementById("decisive-1");
  if (decisive && !location.hash) {
    decisive.scrollIntoView({block: "center"});
    document.body.setAttribute("data-opened", "decisive-1");
  }
})();
)js";
}

}  // namespace relaylab::scn
