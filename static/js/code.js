// Code blocks: a button that copies the code, and a cue when a block is
// wider than the column (it scrolls sideways; the cue says there is more).
(() => {
  "use strict";

  const blocks = () => document.querySelectorAll(".post-body .highlight pre, .post-body pre");

  function addCopyButton(pre) {
    const box = pre.closest(".highlight") || pre;
    if (box.querySelector(":scope > .copy-code")) return;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "copy-code";
    button.textContent = "Copy";
    button.setAttribute("aria-label", "Copy code");
    button.addEventListener("click", async () => {
      const code = pre.querySelector("code") || pre;
      try {
        await navigator.clipboard.writeText(code.innerText.replace(/\n$/, ""));
        button.textContent = "Copied";
      } catch {
        button.textContent = "Select and copy";
      }
      setTimeout(() => {
        button.textContent = "Copy";
      }, 2000);
    });
    box.classList.add("has-copy");
    box.prepend(button);
  }

  // A block that overflows gets data-scrolls: CSS shades the edge that hides
  // more code, and the block becomes focusable so the keyboard can scroll it.
  function markOverflow(pre) {
    const more = pre.scrollWidth - pre.clientWidth;
    const scrolls = more > 1;
    pre.toggleAttribute("data-scrolls", scrolls);
    pre.toggleAttribute("data-at-end", scrolls && pre.scrollLeft >= more - 1);
    if (scrolls && !pre.hasAttribute("tabindex")) {
      pre.tabIndex = 0;
      pre.setAttribute("role", "region");
      pre.setAttribute("aria-label", "Code (scrolls sideways)");
    }
  }

  function setUp() {
    const seen = new ResizeObserver((entries) => entries.forEach((e) => markOverflow(e.target)));
    blocks().forEach((pre) => {
      addCopyButton(pre);
      markOverflow(pre);
      seen.observe(pre);
      pre.addEventListener("scroll", () => markOverflow(pre), { passive: true });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
