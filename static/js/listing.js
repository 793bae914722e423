// Listings enhanced by htmx, kept behaving like the links they are.
(() => {
  "use strict";

  const HTMX_LINK = "a[hx-get], a[data-hx-get]";

  // Ctrl-, Cmd-, Shift- and middle-clicks on a link open it in a new tab or
  // window. htmx listens on the link itself and cancels every click, so in
  // the capture phase, before the click reaches the link, stop modified
  // clicks from going further: the browser then does what it does with any
  // link. (An hx-trigger filter would do the same but needs eval.)
  window.addEventListener(
    "click",
    (event) => {
      const modified =
        event.ctrlKey || event.metaKey || event.shiftKey || event.altKey || event.button !== 0;
      if (modified && event.target instanceof Element && event.target.closest(HTMX_LINK)) {
        event.stopPropagation();
      }
    },
    true,
  );

  // While a new listing loads, say so: the list dims (CSS, after a moment)
  // and assistive technology hears that the region is busy.
  const listing = () => document.getElementById("listing");
  document.addEventListener("htmx:before:request", (event) => {
    const target = event.detail?.ctx?.target;
    if (target && (target.id === "listing" || target.id === "post-list")) {
      listing()?.setAttribute("aria-busy", "true");
    }
  });
  document.addEventListener("htmx:finally:request", () => {
    listing()?.removeAttribute("aria-busy");
  });

  // "More posts": remember where the new posts will start, then move focus
  // to the first of them, so Tab continues through what was just loaded.
  let appendedFrom = -1;
  document.addEventListener("htmx:before:swap", (event) => {
    const target = event.detail?.ctx?.target;
    if (target && target.id === "post-list") {
      appendedFrom = target.children.length;
    }
  });

  document.addEventListener("htmx:after:swap", (event) => {
    const target = event.detail?.ctx?.target;
    if (!target) return;
    if (target.id === "post-list" && appendedFrom >= 0) {
      const first = target.children[appendedFrom]?.querySelector("h2 a");
      appendedFrom = -1;
      first?.focus();
      return;
    }
    // After a new listing (a tag filter or another page), move focus to its
    // heading: screen readers announce the new list, and keyboard users
    // continue from the top of it rather than from a link that is gone.
    if (target.id !== "listing") return;
    const heading = document.getElementById("listing-title");
    if (!heading) return;
    heading.focus({ preventScroll: true });
    if (heading.getBoundingClientRect().top < 0) {
      heading.scrollIntoView({ block: "start" });
    }
  });

  // "/" moves to the search box in the header, as on many sites.
  document.addEventListener("keydown", (event) => {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    const active = document.activeElement;
    if (active && (active.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName))) {
      return;
    }
    const box = document.querySelector("[data-search-box]");
    if (!box) return;
    event.preventDefault();
    box.focus();
    box.select();
  });
})();
