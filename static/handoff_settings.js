// Handoff settings: while a preset level is chosen the preset sets the advanced switches, so
// they are disabled (and not sent); the server ignores them in that mode either way.
"use strict";

function syncAdvancedSwitches(form) {
  const switches = form.querySelector("[data-advanced-switches]");
  const mode = form.querySelector('input[name="mode"]:checked');
  const preset = !mode || mode.value !== "advanced";
  switches.disabled = preset;
  switches.querySelector("[data-preset-note]").hidden = !preset;
}

document.addEventListener("DOMContentLoaded", () => {
  const switches = document.querySelector("[data-advanced-switches]");
  if (!switches) return;
  const form = switches.closest("form");
  syncAdvancedSwitches(form);
  for (const radio of form.querySelectorAll('input[name="mode"]')) {
    radio.addEventListener("change", () => syncAdvancedSwitches(form));
  }
});
