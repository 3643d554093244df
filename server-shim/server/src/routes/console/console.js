// The console's one script, and only a convenience: a Copy button beside each link URL and
// button snippet. Every page works without it (the fields are read-only and selectable).
"use strict";
document.querySelectorAll("[data-copy]").forEach((field) => {
  if (!navigator.clipboard) return;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "copy-button";
  button.textContent = "Copy";
  const said = document.createElement("span");
  said.setAttribute("role", "status");
  said.className = "copied";
  button.addEventListener("click", () => {
    navigator.clipboard.writeText(field.value).then(
      () => { said.textContent = "Copied"; },
      () => { field.select(); said.textContent = "Select and copy it yourself"; },
    );
  });
  field.after(button, said);
});
