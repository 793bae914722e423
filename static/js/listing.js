// After htmx swaps in a new listing (a tag filter or another page), move
// focus to its heading: screen readers announce the new list, and keyboard
// users continue from the top of it rather than from a link that is gone.
(() => {
  "use strict";

  document.addEventListener("htmx:after:swap", (event) => {
    const target = event.detail?.ctx?.target;
    if (!target || target.id !== "listing") return;
    const heading = document.getElementById("listing-title");
    if (!heading) return;
    heading.focus({ preventScroll: true });
    if (heading.getBoundingClientRect().top < 0) {
      heading.scrollIntoView({ block: "start" });
    }
  });
})();
