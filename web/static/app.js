// mentiondesk inbox: live reply counter and keyboard (j/k move, e edit, a approve, r reject).
// Every action is a plain form POST; this file only makes the page faster to work in.
"use strict";

// Mirror of responder/length.py: X weighs URLs 23 and most non-Latin code points 2.
const URL_RE = /https?:\/\/\S+/gi;
const LIGHT = [[0, 4351], [8192, 8205], [8208, 8223], [8242, 8247]];

function weight(text) {
  let n = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0);
    n += LIGHT.some(([lo, hi]) => c >= lo && c <= hi) ? 1 : 2;
  }
  return n;
}

function platformLength(text, platform) {
  text = text.normalize("NFC");
  if (platform !== "x" && platform !== "replay") return [...text].length;
  let total = 0, last = 0;
  for (const m of text.matchAll(URL_RE)) {
    total += weight(text.slice(last, m.index)) + 23;
    last = m.index + m[0].length;
  }
  return total + weight(text.slice(last));
}

function updateCounter(area) {
  const form = area.closest("form");
  const counter = form.querySelector(".counter");
  const limit = Number(area.dataset.limit);
  const n = platformLength(area.value.trim(), area.dataset.platform);
  counter.querySelector(".n").textContent = n;
  counter.classList.toggle("over", n > limit);
  const approve = form.querySelector("button.approve");
  if (approve && !approve.dataset.lock) approve.disabled = n > limit || n === 0;
}

const items = () => [...document.querySelectorAll("article.item")];
let current = -1;

function select(i, scroll = true) {
  const list = items();
  if (!list.length) return;
  i = Math.max(0, Math.min(i, list.length - 1));
  list.forEach((el, j) => el.classList.toggle("selected", j === i));
  current = i;
  sessionStorage.setItem("md-selected", String(i));
  if (scroll) list[i].scrollIntoView({ block: "nearest", behavior: "smooth" });
}

function submitWith(button) {
  if (button && !button.disabled) button.form.requestSubmit(button);
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("textarea[data-limit]").forEach((area) => {
    const approve = area.form.querySelector("button.approve");
    if (approve && approve.disabled) approve.dataset.lock = "1"; // claimed by a colleague
    updateCounter(area);
    area.addEventListener("input", () => updateCounter(area));
  });

  const list = items();
  list.forEach((el, i) => el.addEventListener("click", () => select(i, false)));
  const anchored = location.hash ? list.findIndex((el) => "#" + el.id === location.hash) : -1;
  if (list.length) select(anchored >= 0 ? anchored : Number(sessionStorage.getItem("md-selected") || 0), anchored >= 0);

  // One submit per click: a double click must not send an approve twice.
  document.querySelectorAll("form").forEach((form) => form.addEventListener("submit", () => {
    setTimeout(() => form.querySelectorAll("button").forEach((b) => { b.disabled = true; }), 0);
  }));
});

document.addEventListener("keydown", (ev) => {
  if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
  const t = ev.target;
  const typing = t instanceof HTMLElement && (t.matches("input, textarea, select") || t.isContentEditable);
  if (typing) {
    if (ev.key === "Escape") t.blur();
    return;
  }
  const item = items()[current];
  switch (ev.key) {
    case "j": select(current + 1); break;
    case "k": select(current - 1); break;
    case "e": {
      const area = item && item.querySelector("textarea:not([readonly])");
      if (area) { area.focus(); area.setSelectionRange(area.value.length, area.value.length); }
      break;
    }
    case "a": submitWith(item && item.querySelector("button.approve")); break;
    case "r": { const note = item && item.querySelector("form.reject input[name=note]"); if (note) note.focus(); break; }
    default: return;
  }
  ev.preventDefault();
});

// New mentions arrive while an agent works: refresh an idle page every minute, never
// one with a half-edited draft or a focused field.
let dirty = false;
document.addEventListener("input", () => { dirty = true; });
setInterval(() => {
  const a = document.activeElement;
  const busy = a && a.matches && a.matches("input, textarea, select");
  if (!dirty && !busy && document.visibilityState === "visible" && document.getElementById("queue")) {
    location.reload();
  }
}, 60000);

// Back/forward cache would show buttons still disabled from the last submit.
window.addEventListener("pageshow", (ev) => { if (ev.persisted) location.reload(); });
