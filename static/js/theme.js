// @ts-check
/**
 * The high-contrast theme: on when the person chose it (the header's toggle,
 * remembered in localStorage), else when the system asks for more contrast
 * (`prefers-contrast: more`). A classic script loaded in <head>, so the page is
 * painted in the right colours from the start. The palette itself lives in
 * app.css under :root[data-theme="contrast"]; this file only decides.
 */
(() => {
  const KEY = "essaim:theme";
  const root = document.documentElement;
  const system = matchMedia("(prefers-contrast: more)");
  const stored = () => {
    try {
      return localStorage.getItem(KEY);
    } catch {
      return null; // storage refused: follow the system
    }
  };
  const apply = () => {
    const choice = stored();
    root.dataset.theme = (choice ? choice === "contrast" : system.matches) ? "contrast" : "default";
    const toggle = document.getElementById("theme-toggle");
    if (toggle) toggle.setAttribute("aria-pressed", String(root.dataset.theme === "contrast"));
  };
  apply();
  system.addEventListener("change", apply);
  document.addEventListener("DOMContentLoaded", () => {
    const toggle = document.getElementById("theme-toggle");
    if (!toggle) return;
    toggle.hidden = false; // without this script it could do nothing, so it is not shown
    apply();
    toggle.addEventListener("click", () => {
      try {
        localStorage.setItem(KEY, root.dataset.theme === "contrast" ? "default" : "contrast");
      } catch {
        /* not remembered: the theme still changes for this page */
        root.dataset.theme = root.dataset.theme === "contrast" ? "default" : "contrast";
        toggle.setAttribute("aria-pressed", String(root.dataset.theme === "contrast"));
        return;
      }
      apply();
    });
  });
})();
