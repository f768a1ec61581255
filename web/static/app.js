// mentiondesk inbox: partial updates, unsaved drafts kept in the browser, notices and
// the keyboard. Every action is also a plain form POST: without this file the page works.
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
  // The article line follows the text: an edit that drops the link says it will not go;
  // a link the first draft left out (to fit) reads as such until it is added.
  const gone = form.querySelector(".article-gone, .article-left");
  if (gone && area.dataset.article) gone.hidden = area.value.includes(area.dataset.article);
}

// --- unsaved drafts: kept in localStorage per draft until the server took them ----------

const KEY = (id) => "md-draft-" + id;

function remember(area) {
  if (area.value === area.defaultValue) localStorage.removeItem(KEY(area.dataset.key));
  else localStorage.setItem(KEY(area.dataset.key), JSON.stringify({ v: area.dataset.version, text: area.value }));
}

function forget(draftId) { localStorage.removeItem(KEY(draftId)); }

function restore(area) {
  const raw = localStorage.getItem(KEY(area.dataset.key));
  if (!raw) return;
  let kept;
  try { kept = JSON.parse(raw); } catch { forget(area.dataset.key); return; }
  if (!kept || kept.text === area.value) return;
  const note = area.form.querySelector(".restored");
  if (kept.v === area.dataset.version) {
    area.value = kept.text;
    note.textContent = "Your unsaved text is back (kept in this browser). ";
  } else {
    note.textContent = "A colleague changed this draft since you typed; your unsaved text is kept. ";
    const use = document.createElement("button");
    use.type = "button"; use.className = "ghost use-mine"; use.textContent = "Use my text";
    use.addEventListener("click", () => { area.value = kept.text; area.dispatchEvent(new Event("input", { bubbles: true })); use.remove(); });
    note.append(use);
  }
  const drop = document.createElement("button");
  drop.type = "button"; drop.className = "ghost discard"; drop.textContent = "Discard";
  drop.addEventListener("click", () => { forget(area.dataset.key); area.value = area.defaultValue; note.hidden = true; updateCounter(area); });
  note.append(drop);
  note.hidden = false;
}

function wire(root) {
  root.querySelectorAll("textarea[data-limit]").forEach((area) => {
    const approve = area.form.querySelector("button.approve");
    if (approve && approve.disabled) approve.dataset.lock = "1"; // claimed by a colleague
    restore(area);
    updateCounter(area);
    area.addEventListener("input", () => { updateCounter(area); remember(area); });
  });
  root.querySelectorAll("form[data-fetch]").forEach((form) => form.addEventListener("submit", onSubmit));
  root.querySelectorAll("input.pick").forEach((box) => box.addEventListener("change", countPicked));
}

// --- partial updates -------------------------------------------------------------------

function flash(kind, text) {
  let box = document.querySelector(".flashes");
  if (!box) {
    box = document.createElement("div");
    box.className = "flashes";
    document.querySelector(".layout, main").before(box);
  }
  const div = document.createElement("div");
  div.className = "flash flash-" + kind;
  div.setAttribute("role", "status");
  div.textContent = text;
  box.replaceChildren(div);
}

function countPicked() {
  const n = document.querySelectorAll("input.pick:checked").length;
  const out = document.querySelector("#bulk .picked");
  if (out) out.textContent = n;
}

// Every count on the page (nav badge, header, range, pager, filters) is set from the
// numbers the server sends with each answer: one query, so they always agree.
function setCounts(reply) {
  if (typeof reply.everything === "number") {
    document.querySelectorAll('[data-count="everything"]').forEach((el) => { el.textContent = reply.everything; });
  }
  if (typeof reply.total === "number") {
    document.querySelectorAll('[data-count="total"]').forEach((el) => { el.textContent = reply.total; });
    const range = document.querySelector("[data-range]");
    if (range) {
      const first = Number(range.dataset.first) || 1;
      const shown = items().length;
      range.textContent = shown ? `${first}–${first + shown - 1} of ${reply.total}` : "nothing waiting";
    }
  }
  for (const [facet, values] of Object.entries(reply.counts || {})) {
    const known = new Map(values);
    document.querySelectorAll(`a[data-facet="${facet}"]`).forEach((link) => {
      const n = known.get(link.dataset.value) || 0;
      link.querySelector(".count").textContent = n;
    });
  }
}

function setTotal(delta) { // before the server's numbers arrive (undo re-adds an item)
  document.querySelectorAll('[data-count="total"]').forEach((el) => {
    el.textContent = Math.max(0, Number(el.textContent) - delta);
  });
}

function offerUndo(draftId, token) {
  const form = document.createElement("form");
  form.method = "post"; form.action = `/drafts/${draftId}/undo`; form.className = "inline undo";
  form.dataset.fetch = "";
  const csrf = document.createElement("input");
  csrf.type = "hidden"; csrf.name = "csrf_token"; csrf.value = token;
  const button = document.createElement("button");
  button.className = "undo"; button.textContent = "Undo";
  form.append(csrf, button);
  form.addEventListener("submit", onSubmit);
  document.querySelector(".flashes").append(form);
}

async function onSubmit(ev) {
  const form = ev.currentTarget;
  const button = ev.submitter;
  const action = (button && button.getAttribute("formaction")) || form.getAttribute("action");
  const body = new FormData(form, button);
  if (form.id === "bulk") {
    const n = body.getAll("pick").length;
    if (!n) { ev.preventDefault(); flash("error", "Nothing done: select items first (x)."); return; }
    if (!confirm(button.dataset.confirm.replace("{n}", n))) { ev.preventDefault(); return; }
  }
  ev.preventDefault();
  const article = form.closest("article.item");
  const area = article && article.querySelector("textarea[data-key]");
  if (area && !form.contains(area) && /\/(claim|takeover|release|assign|note|label)$/.test(action)) {
    remember(area); // kept across the redraw below
  }
  form.querySelectorAll("button").forEach((b) => { b.disabled = true; });
  let reply;
  try {
    const res = await fetch(action, { method: "POST", body, headers: { accept: "application/json" }, credentials: "same-origin" });
    reply = (res.headers.get("content-type") || "").includes("json") ? await res.json()
      : { ok: false, message: `Not done: the server answered ${res.status} (${(await res.text()).slice(0, 200)}). Your text is kept.` };
  } catch (err) {
    flash("error", "Not sent: the server did not answer (" + err + "). Your text is kept; try again.");
    form.querySelectorAll("button").forEach((b) => { b.disabled = false; });
    return;
  }
  flash(reply.ok ? "ok" : "error", reply.message);
  if (reply.undo) offerUndo(reply.undo, body.get("csrf_token"));
  if (reply.login) { form.querySelectorAll("button").forEach((b) => { b.disabled = false; }); return; }
  if (reply.ok && /\/(approve|edit|reject)$/.test(action) && reply.draft) forget(reply.draft);
  for (const id of reply.removed || []) {
    forget(id);
    const gone = document.querySelector(`article.item[data-draft="${id}"]`);
    if (gone) { const i = items().indexOf(gone); gone.remove(); setTotal(1); select(Math.min(i, items().length - 1), true); }
  }
  if (reply.html) {
    const old = document.querySelector(`article.item[data-draft="${reply.draft}"]`);
    const tmp = document.createElement("template");
    tmp.innerHTML = reply.html.trim();
    const fresh = tmp.content.firstElementChild;
    if (old) old.replaceWith(fresh);
    else { (items()[0] || document.querySelector(".list .list-head")?.nextSibling || document.querySelector(".list") || document.getElementById("queue").lastChild).before(fresh); setTotal(-1); }
    wire(fresh);
    wireRow(fresh);
    select(items().indexOf(fresh), !old);
  } else {
    form.querySelectorAll("button").forEach((b) => { b.disabled = false; });
  }
  setCounts(reply);
  countPicked();
}

// --- selection and keys ------------------------------------------------------------------

const items = () => [...document.querySelectorAll("article.item")];
let current = -1;

function select(i, scroll = true, remember = true) {
  const list = items();
  if (!list.length || i < 0) return;
  i = Math.max(0, Math.min(i, list.length - 1));
  list.forEach((el, j) => el.classList.toggle("selected", j === i));
  current = i;
  sessionStorage.setItem("md-selected", String(i));
  // The URL names the opened item, so a reload or a shared link opens it again.
  if (remember) {
    const url = new URL(location.href);
    url.searchParams.set("open", list[i].dataset.draft);
    url.hash = list[i].id;
    history.replaceState(null, "", url);
  }
  loadCustomer(list[i]);
  const detail = list[i].querySelector(".detail");
  if (detail && getComputedStyle(detail).position === "fixed") detail.scrollTop = 0;
  if (scroll) list[i].querySelector(".row").scrollIntoView({ block: "nearest" });
}

// The customer panel of an item opened in the page is fetched once (a page of 50 stays light).
async function loadCustomer(el) {
  const panel = el.querySelector("section.customer[data-src]");
  if (!panel || panel.dataset.loading) return;
  panel.dataset.loading = "1";
  try {
    const res = await fetch(panel.dataset.src, { headers: { accept: "text/html" }, credentials: "same-origin" });
    if (!res.ok) { delete panel.dataset.loading; return; }
    const tmp = document.createElement("template");
    tmp.innerHTML = (await res.text()).trim();
    panel.replaceWith(tmp.content);
  } catch { delete panel.dataset.loading; }
}

// A row opens its item (its detail beside the list, or under the row on a phone).
function wireRow(el) {
  const row = el.querySelector(".row");
  if (!row) return;
  row.addEventListener("click", (ev) => {
    if (ev.target.closest("input.pick")) return;
    ev.preventDefault();
    select(items().indexOf(el), false);
  });
  el.addEventListener("click", () => { if (!el.classList.contains("selected")) select(items().indexOf(el), false); });
}

function help(open) {
  const box = document.getElementById("help");
  if (!box) return;
  box.hidden = !open;
  if (open) box.querySelector(".help-close").focus();
}

function press(el) {
  if (!el || el.disabled) return;
  if (el.tagName === "BUTTON") el.form.requestSubmit(el); else el.click();
}

function focusEnd(el) {
  if (!el) return;
  el.closest("details")?.setAttribute("open", "");
  el.focus();
  if (el.setSelectionRange && el.value !== undefined) el.setSelectionRange(el.value.length, el.value.length);
}

function savedPanel(open) {
  const panel = document.getElementById("saved");
  if (panel) panel.hidden = !open;
  return panel;
}

function insertSaved(n) {
  const panel = savedPanel(false);
  const entry = panel && panel.querySelectorAll("li")[n - 1];
  const item = items()[current];
  const area = item && item.querySelector("textarea[data-key]:not([readonly])");
  if (!entry || !area) return;
  area.value = entry.dataset.text.replaceAll("{handle}", item.dataset.handle);
  area.dispatchEvent(new Event("input", { bubbles: true }));
  focusEnd(area);
}

// The permission each action key needs (pipeline.actions.PERMISSIONS) and what the
// refusal names. The page leaves out the buttons a role may not use, so without this
// check their keys would silently do nothing.
const KEY_NEEDS = {
  e: ["edit", "edit drafts"], w: ["edit", "edit drafts"], t: ["edit", "edit drafts"],
  a: ["approve", "approve replies"], u: ["approve", "approve replies"],
  r: ["reject", "reject drafts"], x: ["reject", "reject drafts"], s: ["skip", "skip items"],
  c: ["claim", "take mentions"], m: ["assign", "assign mentions"], n: ["note", "write notes"],
  l: ["label", "correct labels"], y: ["label", "correct labels"],
};

function refusedKey(key) {
  const needs = KEY_NEEDS[key];
  const may = document.body.dataset.may;
  if (!needs || may === undefined || may.split(" ").includes(needs[0])) return false;
  flash("error", `Your role (${document.body.dataset.role}) may not ${needs[1]}.`);
  return true;
}

document.addEventListener("keydown", (ev) => {
  if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
  const t = ev.target;
  const typing = t instanceof HTMLElement && (t.matches("input, textarea, select") || t.isContentEditable);
  const helpBox = document.getElementById("help");
  if (helpBox && !helpBox.hidden) {
    if (ev.key === "Escape" || ev.key === "?") { help(false); ev.preventDefault(); }
    return;
  }
  if (typing) {
    if (ev.key === "Escape") t.blur();
    return;
  }
  const panel = document.getElementById("saved");
  if (panel && !panel.hidden) {
    if (/^[1-9]$/.test(ev.key)) insertSaved(Number(ev.key));
    else savedPanel(false);
    ev.preventDefault();
    return;
  }
  const item = items()[current];
  if (item && refusedKey(ev.key)) { ev.preventDefault(); return; }
  const q = (sel) => item && item.querySelector(sel);
  switch (ev.key) {
    case "j": select(current + 1); break;
    case "k": select(current - 1); break;
    case "e": focusEnd(q("textarea:not([readonly])")); break;
    case "a": press(q("button.approve")); break;
    case "w": press(q("button.save")); break;
    case "s": press(q("button.skip")); break;
    case "c": press(q("form.claimform button")); break;
    case "r": focusEnd(q("form.reject input[name=note]")); break;
    case "n": focusEnd(q("form.noteform input[name=text]")); break;
    case "x": { const box = q("input.pick"); if (box) { box.checked = !box.checked; countPicked(); } break; }
    case "o": { const link = q("a.orig"); if (link) window.open(link.href, "_blank", "noopener"); break; }
    case "t": savedPanel(true); break;
    case "u": press(document.querySelector(".flashes form.undo button")); break;
    case "m": focusEnd(q("form.assign select")); break;
    case "l": { const fix = q("form.fix button"); if (fix) { fix.closest("details").open = true; fix.focus(); } break; }
    case "y": press(q("form.fix button.noreply")); break;
    case "h": { const link = q("a.ghost-link"); if (link) location.assign(link.href); break; }
    case "/": focusEnd(document.querySelector("form.search input[name=q]")); break;
    case "[": press(document.querySelector(".pager a[rel=prev]")); break;
    case "]": press(document.querySelector(".pager a[rel=next]")); break;
    case "?": help(true); break;
    default: return;
  }
  ev.preventDefault();
});

// --- notices: new urgent work and SLAs about to break, without reloading ------------------

async function poll() {
  const box = document.getElementById("notices");
  if (!box || document.visibilityState !== "visible") return;
  try {
    const res = await fetch("/queue/updates?since=" + encodeURIComponent(box.dataset.since), { headers: { accept: "application/json" } });
    if (!res.ok) return;
    const news = await res.json();
    const parts = [];
    if (news.new_high) parts.push(`${news.new_high} new high-priority mention${news.new_high > 1 ? "s" : ""}`);
    if (news.sla_soon) parts.push(`${news.sla_soon} about to break the SLA`);
    box.replaceChildren();
    if (parts.length) {
      const div = document.createElement("div");
      div.className = "notice";
      div.textContent = parts.join(" · ") + " — ";
      const link = document.createElement("a");
      link.href = location.pathname + location.search; link.textContent = "show";
      div.append(link);
      box.append(div);
    }
  } catch { /* offline for a moment: try again next time */ }
}

document.addEventListener("DOMContentLoaded", () => {
  wire(document);
  const list = items();
  list.forEach(wireRow);
  const opened = new URL(location.href).searchParams.get("open");
  let anchored = opened ? list.findIndex((el) => el.dataset.draft === opened) : -1;
  if (anchored < 0 && location.hash) anchored = list.findIndex((el) => "#" + el.id === location.hash);
  const phone = window.matchMedia("(max-width: 760px)").matches;
  if (phone && anchored < 0) {
    // On a phone the list comes first: an item opens (under its row) when tapped.
    list.forEach((el) => el.classList.remove("selected"));
  } else if (list.length) {
    select(anchored >= 0 ? anchored : Math.min(Number(sessionStorage.getItem("md-selected") || 0), list.length - 1), anchored >= 0, false);
  }
  // A chart over time wider than a phone scrolls sideways: it starts at its newest end
  // (it opened on the oldest days, the recent ones out of sight).
  document.querySelectorAll(".chart-wrap.over-time").forEach((wrap) => { wrap.scrollLeft = wrap.scrollWidth; });
  // On a phone the filters start folded, so the queue is the first thing seen.
  const filters = document.querySelector("details.filters");
  if (filters && window.matchMedia("(max-width: 1100px)").matches) filters.open = false;
  document.querySelector(".help-open")?.addEventListener("click", () => help(true));
  document.querySelector(".help-close")?.addEventListener("click", () => help(false));
  // Forms without fetch: one submit per click, a double click must not send twice.
  document.querySelectorAll("form:not([data-fetch])").forEach((form) => form.addEventListener("submit", () => {
    setTimeout(() => form.querySelectorAll("button").forEach((b) => { b.disabled = true; }), 0);
  }));
  if (document.getElementById("notices")) { poll(); setInterval(poll, 30000); }
});

// Back/forward cache would show buttons still disabled from the last submit.
window.addEventListener("pageshow", (ev) => { if (ev.persisted) location.reload(); });
