#include "scenarios/html_assets.hpp"

namespace relaylab::scn {

// Local fonts only: DejaVu for Latin, IPA or Noto CJK for the Japanese notices (Debian packages).
std::string_view html_report_style() {
    return R"css(
:root{--ink:#1d2533;--muted:#5b6779;--line:#c9d1dc;--good:#1a7f37;--temp:#a35200;--perm:#c62828;--neutral:#2b3a55;
--sans:"DejaVu Sans","IPAPGothic","IPAGothic","Noto Sans CJK JP",sans-serif;
--mono:"DejaVu Sans Mono","IPAGothic","Noto Sans Mono CJK JP",monospace}
*{box-sizing:border-box}
body{margin:0;background:#eef1f5;color:var(--ink);font:15px/1.45 var(--sans)}
header{background:#1e2a3d;color:#fff;padding:14px 28px}
header h1{margin:0;font-size:22px}
header .summary{margin:4px 0 6px;color:#c8d3e3}
header nav a{display:inline-block;margin:0 8px 4px 0;padding:2px 10px;border-radius:12px;font-size:13px;color:#fff;text-decoration:none;background:#2f7d46}
header nav a.fail{background:#b3261e}
main{padding:18px 28px 40px}
h2{font-size:19px;margin:0 0 10px}
section{background:#fff;border-radius:10px;box-shadow:0 1px 3px rgba(0,0,0,.12);padding:16px 20px;margin-bottom:22px}
.compare{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}
.phones{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}
.phone-col{margin:0;width:310px}
.phone-col figcaption{text-align:center;font-weight:bold;margin-bottom:8px;font-size:14px}
.phone{background:linear-gradient(160deg,#3a3f48,#17191d);border-radius:34px;padding:40px 13px 54px;position:relative;box-shadow:0 6px 16px rgba(0,0,0,.3)}
.earpiece{position:absolute;top:17px;left:50%;width:60px;height:6px;margin-left:-30px;border-radius:3px;background:#555b66}
.home-button{position:absolute;bottom:12px;left:50%;width:34px;height:34px;margin-left:-17px;border-radius:50%;border:2px solid #555b66}
.screen{background:#f8fafc;border-radius:6px;min-height:440px;max-height:640px;overflow:auto}
.statusbar{display:flex;justify-content:space-between;background:#25406b;color:#fff;font-size:12px;padding:3px 10px;border-radius:6px 6px 0 0}
.mail{padding:10px 12px;border-bottom:1px solid #dde3ea}
.mail-to{font-size:11px;color:var(--muted);word-break:break-all}
.mail-subject{margin:4px 0 8px;font-size:16px;color:#0b2a5b;word-break:break-word}
.mail-body{white-space:pre-wrap;word-break:break-word;font-size:14px}
.mail.delay .mail-subject{color:var(--temp)}
.no-notice{padding:14px;color:var(--muted)}
.phone.empty .screen{min-height:130px}
.verdict{font-size:13px;margin:10px 2px 0;padding:6px 8px;border-radius:6px;background:#f1f3f6}
.verdict .tag{display:inline-block;padding:0 7px;border-radius:9px;color:#fff;font-weight:bold;text-transform:uppercase;font-size:11px}
.verdict.mislabel{background:#fdecec}.verdict.mislabel .tag{background:var(--perm)}
.verdict.truthful{background:#e8f5ec}.verdict.truthful .tag{background:var(--good)}
.truth{flex:1 1 330px;min-width:300px;display:flex;flex-direction:column;gap:14px}
.dsn-card{border:2px solid #2f7d46;border-radius:8px;padding:10px 14px;background:#f6fbf7}
.dsn-card h3{margin:0 0 6px;font-size:16px}.dsn-card small{font-weight:normal;color:var(--muted)}
.dsn-who{margin:0 0 8px;font-size:13px;color:var(--muted)}
.dsn{display:grid;grid-template-columns:max-content 1fr;gap:3px 12px;margin:0;font-family:var(--mono);font-size:13px}
.dsn dt{font-weight:bold}.dsn dd{margin:0;word-break:break-word}
.dsn .minor{color:var(--muted);font-weight:normal;font-size:12px}
.file{font-family:var(--mono);font-size:12px;color:var(--muted);margin:0 0 6px}
.description{margin:0 0 10px}
.badge{display:inline-block;padding:1px 9px;border-radius:10px;color:#fff;font-size:13px;vertical-align:2px}
.badge.pass{background:var(--good)}.badge.fail{background:var(--perm)}
.expectations h3{font-size:15px;margin:6px 0 4px}
.expectations ul{list-style:none;margin:0 0 12px;padding:0}
.expectations li{padding:2px 0;font-size:14px}
.expectations .mark{display:inline-block;width:4.2em;text-align:center;border-radius:4px;color:#fff;font-size:12px;font-weight:bold;margin-right:6px}
.expectations .pass .mark{background:var(--good)}.expectations .fail .mark{background:var(--perm)}
.expectations .why{margin-left:5.4em;font-family:var(--mono);font-size:12px;color:var(--perm)}
.stepper{display:flex;flex-wrap:wrap;align-items:center;gap:8px;margin:8px 0;padding:8px 10px;background:#f3f5f8;border-radius:8px}
.stepper button{font:inherit;font-size:14px;padding:4px 12px;border:1px solid #9aa7b8;border-radius:6px;background:#fff;cursor:pointer}
.stepper button:hover{background:#e6eefb}
.stepper input[type=range]{flex:1 1 200px}
.stepper .where{font-size:14px}.stepper .abs{color:var(--muted);font-size:12px;font-family:var(--mono)}
.stepper .current{flex-basis:100%;margin:0;padding:6px 10px;background:#1e2430;color:#e8edf5;border-radius:6px;font:13px/1.4 var(--mono);white-space:pre-wrap;word-break:break-word;min-height:1.6em}
.stepper .keys{flex-basis:100%;margin:0;font-size:12px;color:var(--muted)}
.seq{border:1px solid var(--line);border-radius:8px;font-size:13px}
.lanes{display:grid;position:sticky;top:0;z-index:3;background:#e4e9f0;border-bottom:2px solid #9aa7b8;border-radius:8px 8px 0 0}
.lanes .t{font-family:var(--sans);color:var(--muted);align-self:center}
.lane-head{text-align:center;padding:6px 4px;word-break:break-word}
.lane-head b{display:block;font-size:14px}.lane-head small{color:var(--muted);font-family:var(--mono)}
.lane-0 b{color:#6a1b9a}.lane-1 b{color:#0d47a1}.lane-2 b{color:#00695c}.lane-3 b{color:#8d4b00}
.row{display:grid;cursor:pointer;transition:opacity .15s}
.row>*{grid-row:1}
.row:hover{background:#f5f8ff}
.row.current{background:#fff3c4;box-shadow:inset 4px 0 0 #e0a800}
.row.future{opacity:.2}
.t{grid-column:1;font:12px var(--mono);color:var(--muted);padding:5px 6px;text-align:right}
.t.same{color:#c3cad4}
.life{position:relative}
.life::before{content:"";position:absolute;left:50%;top:0;bottom:0;border-left:2px dashed var(--line)}
.msg{z-index:1;padding:4px 0 5px;color:var(--neutral)}
.arrow{position:relative}
.msg .label{text-align:center;font-family:var(--mono);word-break:break-word;padding:0 4px;line-height:1.3}
.msg .detail{font-family:var(--mono);font-size:12px;text-align:center;padding:0 10px;color:#364152;word-break:break-word}
.line{height:0;border-top:2px solid currentColor;position:relative;margin-top:3px}
.rightward .line::after,.leftward .line::after{content:"";position:absolute;top:-7px;border:6px solid transparent}
.rightward .line::after{right:-2px;border-left:11px solid currentColor;border-right:0}
.leftward .line::after{left:-2px;border-right:11px solid currentColor;border-left:0}
.connect-failed .line,.dns-question .line{border-top-style:dashed}
.reply .line,.dns-answer .line,.intake .line{border-top-style:dotted;border-top-width:3px}
.tone-good .msg{color:var(--good)}.tone-temporary .msg{color:var(--temp)}.tone-permanent .msg{color:var(--perm)}
.note{z-index:1;justify-self:center;max-width:97%;margin:3px 0;padding:3px 10px;border:1px solid #d8c88a;border-radius:6px;background:#fffbe8;font:12px/1.35 var(--mono);word-break:break-word}
.tone-good .note{background:#eaf6ee;border-color:#8fc6a0}
.tone-temporary .note{background:#fff1e0;border-color:#e3b27a}
.tone-permanent .note{background:#fdecec;border-color:#e09a9a;color:#8e1b1b;font-weight:bold}
.notice .msg{color:#6a1b9a}
.notice .msg .label{font-weight:bold}
.notice .msg .detail{background:#f7f0fb;text-align:left}
.recipients{border-collapse:collapse;margin-top:12px;font-size:13px;width:100%}
.recipients caption{text-align:left;font-weight:bold;padding:4px 0}
.recipients th,.recipients td{border:1px solid var(--line);padding:3px 6px;text-align:left;word-break:break-word}
.recipients th{background:#f3f5f8}
.recipients .st-delivered td:nth-child(2){color:var(--good);font-weight:bold}
.recipients .st-bounced td:nth-child(2),.recipients .st-expired td:nth-child(2),.recipients .st-refused td:nth-child(2){color:var(--perm);font-weight:bold}
@media print{.stepper{display:none}.row.future{opacity:1}}
)css";
}

// Reads the page only through the DOM (textContent, never innerHTML): nothing from the run is code.
std::string_view html_report_script() {
    return R"js(
(function(){
  "use strict";
  var active = null;
  function setup(sec) {
    var rows = sec.querySelectorAll(".row"), n = rows.length;
    var range = sec.querySelector(".stepper input[type=range]");
    if (!n || !range) return;
    var pos = sec.querySelector(".stepper .pos"), vt = sec.querySelector(".stepper .vt"),
        abs = sec.querySelector(".stepper .abs"), cur = sec.querySelector(".stepper .current");
    var at = n;
    function show(i, scroll) {
      at = Math.max(1, Math.min(n, i));
      for (var k = 0; k < n; k++) {
        rows[k].classList.toggle("future", k >= at);
        rows[k].classList.toggle("current", k === at - 1);
      }
      var row = rows[at - 1];
      range.value = String(at);
      pos.textContent = String(at);
      vt.textContent = row.getAttribute("data-at");
      abs.textContent = "(" + row.getAttribute("data-abs") + ")";
      cur.textContent = row.getAttribute("data-source");
      sec.setAttribute("data-at-step", String(at));
      if (scroll) row.scrollIntoView({block: "nearest"});
    }
    sec.go = function(where) {
      if (where === "first") show(1, true);
      else if (where === "last") show(n, true);
      else if (where === "prev") show(at - 1, true);
      else if (where === "next") show(at + 1, true);
    };
    sec.querySelectorAll(".stepper button").forEach(function(b) {
      b.addEventListener("click", function() { sec.go(b.getAttribute("data-go")); });
    });
    range.addEventListener("input", function() { show(parseInt(range.value, 10), true); });
    rows.forEach(function(r, k) { r.addEventListener("click", function() { show(k + 1, false); }); });
    sec.addEventListener("pointerdown", function() { active = sec; });
    sec.addEventListener("focusin", function() { active = sec; });
    show(n, false);
  }
  document.querySelectorAll("section.scenario").forEach(setup);
  var keys = {ArrowRight: "next", ArrowLeft: "prev", Home: "first", End: "last", j: "next", k: "prev"};
  document.addEventListener("keydown", function(e) {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    var t = e.target;
    if (t && t.tagName === "INPUT") return;  // the slider steps on its own
    var where = keys[e.key];
    if (!where) return;
    var sec = active || document.querySelector("section.scenario");
    if (!sec || !sec.go) return;
    e.preventDefault();
    sec.go(where);
  });
})();
)js";
}

}  // namespace relaylab::scn
