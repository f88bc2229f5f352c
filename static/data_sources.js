// Data Sources: list Help Centers as a key is entered, live sync progress, deselect warning.
"use strict";

const csrfToken = () => document.querySelector('meta[name="csrf-token"]').content;

function helpCenterList(centers) {
  const list = document.createElement("ul");
  list.id = "knowledge_bases";
  for (const center of centers) {
    const item = document.createElement("li");
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.name = "knowledge_bases";
    box.value = center.id;
    box.checked = true;
    label.append(box, ` ${center.name} · ${center.type} · ${center.locales.join(", ")}`);
    item.append(label);
    list.append(item);
  }
  return list;
}

// Clicking "Load Help Centers" always answers; a key field merely left empty stays quiet.
async function loadHelpCenters(form, { clicked = false } = {}) {
  const target = form.querySelector('[data-field="help-centers"]');
  const error = form.querySelector('[data-field="help-centers-error"]');
  const showError = (message) => {
    error.textContent = message;
    error.hidden = false;
  };
  const data = new FormData();
  const token = form.querySelector('[name="api_token"]');
  const reuse = form.querySelector('[name="use_ticketing_token"]');
  data.append("api_token", token ? token.value.trim() : "");
  if (reuse && reuse.checked) data.append("use_ticketing_token", "y");
  if (!data.get("api_token") && !data.get("use_ticketing_token")) {
    if (clicked) {
      showError(form.dataset.keyNeeded || "Enter an API key first.");
      if (token) token.focus();
    }
    return;
  }
  target.textContent = "Loading Help Centers…";
  error.hidden = true;
  let response;
  try {
    response = await fetch(form.dataset.helpCentersUrl, {
      method: "POST", body: data, headers: { "X-CSRFToken": csrfToken() }, credentials: "same-origin",
    });
  } catch (_err) {
    target.textContent = "";
    showError("Failed to load Help Centers: Switchboard could not be reached. Check the connection and try again.");
    return;
  }
  const body = await response.json().catch(() => ({ error: "Failed to load Help Centers: unexpected answer." }));
  target.textContent = "";
  if (!response.ok || body.error) {
    showError(body.error || "Failed to load Help Centers.");
    return;
  }
  if (body.help_centers.length === 0) {
    target.textContent = "This key can read no Help Centers.";
    return;
  }
  target.append(helpCenterList(body.help_centers));
}

function setAll(form, checked) {
  for (const box of form.querySelectorAll('input[name="knowledge_bases"]')) box.checked = checked;
}

function wireAddForm() {
  const form = document.querySelector("form[data-help-centers-url]");
  if (!form) return;
  form.querySelector('[data-action="load-help-centers"]').addEventListener("click", () => loadHelpCenters(form, { clicked: true }));
  form.querySelector('[data-action="select-all"]').addEventListener("click", () => setAll(form, true));
  form.querySelector('[data-action="deselect-all"]').addEventListener("click", () => setAll(form, false));
  const token = form.querySelector('[name="api_token"]');
  if (token) token.addEventListener("change", () => loadHelpCenters(form));
  const reuse = form.querySelector('[name="use_ticketing_token"]');
  if (reuse) reuse.addEventListener("change", () => reuse.checked && loadHelpCenters(form));
}

function formatTime(iso) {
  return iso ? iso.slice(0, 16).replace("T", " ") + " UTC" : "—";
}

function watchRow(row) {
  const field = (name) => row.querySelector(`[data-field="${name}"]`);
  const progress = row.querySelector("progress");
  const wrap = row.querySelector(".progress-wrap");
  const poll = async () => {
    const response = await fetch(row.dataset.statusUrl, { credentials: "same-origin" });
    if (!response.ok) return;
    const state = await response.json();
    field("status").textContent = state.status.charAt(0).toUpperCase() + state.status.slice(1);
    field("status").className = `status status-sync-${state.status}`;
    if (progress) {
      progress.max = Math.max(state.total, 1);
      progress.value = state.done;
      field("progress").textContent = `${state.done} / ${state.total}`;
    }
    field("articles").textContent = state.articles;
    if (state.status === "queued" || state.status === "syncing") {
      if (wrap) wrap.hidden = false;
      setTimeout(poll, 1000);
    } else {
      if (wrap) wrap.hidden = true;
      field("last-synced").textContent = formatTime(state.last_synced_at);
    }
  };
  poll();
}

function warnOnDeselect() {
  const form = document.querySelector("form[data-deselect-warning]");
  if (!form) return;
  form.addEventListener("submit", (event) => {
    const dropped = [...form.querySelectorAll('input[name="knowledge_bases"][data-was-selected="yes"]')]
      .filter((box) => !box.checked)
      .map((box) => `${box.dataset.name} (${box.dataset.articleCount} articles)`);
    if (dropped.length && !window.confirm(`Saving removes the articles of: ${dropped.join(", ")}. Save?`)) {
      event.preventDefault();
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  wireAddForm();
  warnOnDeselect();
  for (const row of document.querySelectorAll('tr[data-status="queued"], tr[data-status="syncing"]')) watchRow(row);
});
