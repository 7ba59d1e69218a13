// Small conveniences for the portal's pages, loaded from the portal itself (the CSP allows
// no inline script). Every page works without them: each form has its own submit button.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // A selector marked data-autosubmit (the programme chooser) shows its choice at once.
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.submit());
  }
  // "Select all" over the review queue's checkboxes.
  for (const box of document.querySelectorAll("input[data-select-all]")) {
    const label = box.closest("label");
    if (label) label.hidden = false; // shown only where it works
    box.addEventListener("change", () => {
      const name = box.dataset.selectAll;
      for (const row of box.form.querySelectorAll(`input[type=checkbox][name="${name}"]`)) {
        row.checked = box.checked;
      }
    });
  }
});
