// Footnote popovers.
//
// Each reference is a plain link to its note (#fn-N) that also carries
// hx-get="footnotes/N/" and hx-trigger="footnote-open": this script decides
// when a note should open and fires that event; htmx fetches the note's
// fragment into #footnote-popover-content; this script then shows the
// popover beside the reference.
//
// Opens on hover (after a short delay), on keyboard focus and on tap.
// Stays open while the pointer is over it. Escape or a click outside
// closes it and returns focus to the reference. The popover follows the
// reference in document order, so Tab moves from the reference into the
// note's links. Without JavaScript, the reference simply jumps to the note.
(() => {
  "use strict";

  const OPEN_DELAY_MS = 300;
  const CLOSE_DELAY_MS = 300;
  const MARGIN_PX = 8;
  const GAP_PX = 6;
  const REFERENCE = "a.footnote-ref[hx-get]";

  let active = null; // the reference whose note is open (or opening)
  let openedBy = null; // "hover" | "focus" | "click"
  let openTimer = 0;
  let closeTimer = 0;
  let restoringFocus = false;

  const popover = () => document.getElementById("footnote-popover");
  const content = () => document.getElementById("footnote-popover-content");
  const referenceFrom = (node) => (node instanceof Element ? node.closest(REFERENCE) : null);
  const insidePopover = (node) => node instanceof Node && !!popover()?.contains(node);

  function prepare(root) {
    const panel = popover();
    if (!panel) return;
    for (const ref of root.querySelectorAll(REFERENCE)) {
      ref.setAttribute("aria-expanded", "false");
      ref.setAttribute("aria-controls", panel.id);
    }
  }

  function open(ref, how) {
    clearTimeout(openTimer);
    clearTimeout(closeTimer);
    const panel = popover();
    if (!panel) return;
    if (active === ref) {
      // A click or focus makes an open note stay until dismissed.
      if (how !== "hover") openedBy = how;
      return;
    }
    if (active) close({ restoreFocus: false });
    active = ref;
    openedBy = how;
    ref.setAttribute("aria-expanded", "true");
    panel.setAttribute("aria-label", `Footnote ${ref.textContent.trim()}`);
    (ref.closest("sup") || ref).after(panel);
    panel.dataset.state = "loading";
    htmx.trigger(ref, "footnote-open");
  }

  function show() {
    const panel = popover();
    if (!panel || !active) return;
    panel.dataset.state = "open";
    if (!panel.matches(":popover-open")) panel.showPopover();
    place(panel, active);
  }

  function close({ restoreFocus }) {
    clearTimeout(openTimer);
    clearTimeout(closeTimer);
    const panel = popover();
    const ref = active;
    active = null;
    openedBy = null;
    if (panel) {
      delete panel.dataset.state;
      if (panel.matches(":popover-open")) panel.hidePopover();
    }
    if (!ref) return;
    ref.setAttribute("aria-expanded", "false");
    if (restoreFocus && ref.isConnected) {
      restoringFocus = true;
      ref.focus({ preventScroll: true });
      restoringFocus = false;
    }
  }

  function scheduleClose() {
    clearTimeout(closeTimer);
    closeTimer = setTimeout(() => close({ restoreFocus: false }), CLOSE_DELAY_MS);
  }

  // Below the reference, or above it when there is no room below; always
  // inside the viewport horizontally, so it fits a phone's screen.
  function place(panel, ref) {
    const viewportWidth = document.documentElement.clientWidth;
    const box = ref.getBoundingClientRect();
    const width = Math.min(panel.offsetWidth, viewportWidth - 2 * MARGIN_PX);
    const height = panel.offsetHeight;
    let left = box.left + box.width / 2 - width / 2;
    left = Math.max(MARGIN_PX, Math.min(left, viewportWidth - width - MARGIN_PX));
    let top = box.bottom + GAP_PX;
    const fitsBelow = top + height <= window.innerHeight - MARGIN_PX;
    const fitsAbove = box.top - GAP_PX - height >= MARGIN_PX;
    if (!fitsBelow && fitsAbove) top = box.top - GAP_PX - height;
    panel.style.left = `${left + window.scrollX}px`;
    panel.style.top = `${top + window.scrollY}px`;
  }

  // htmx events: only the open reference's answer may fill the popover.
  document.addEventListener("htmx:before:swap", (event) => {
    const source = event.detail?.ctx?.sourceElement;
    if (referenceFrom(source) && source !== active) event.preventDefault();
  });
  document.addEventListener("htmx:after:swap", (event) => {
    const source = event.detail?.ctx?.sourceElement;
    if (source && source === active) show();
    else prepare(document);
  });
  document.addEventListener("htmx:error", (event) => {
    const source = event.detail?.ctx?.sourceElement;
    if (!source || source !== active) return;
    // The network failed: offer the note in the list instead.
    const link = document.createElement("a");
    link.href = source.getAttribute("href");
    link.textContent = `Go to note ${source.textContent.trim()}`;
    const message = document.createElement("p");
    message.append("This note could not be loaded. ", link);
    content()?.replaceChildren(message);
    show();
  });

  // Pointer: hover opens after a delay; leaving both closes after a delay.
  document.addEventListener("pointerover", (event) => {
    if (event.pointerType !== "mouse") return;
    const ref = referenceFrom(event.target);
    if (ref) {
      clearTimeout(openTimer);
      if (ref === active) clearTimeout(closeTimer);
      else openTimer = setTimeout(() => open(ref, "hover"), OPEN_DELAY_MS);
    } else if (insidePopover(event.target)) {
      clearTimeout(closeTimer);
    }
  });
  document.addEventListener("pointerout", (event) => {
    if (event.pointerType !== "mouse") return;
    const from = referenceFrom(event.target) || (insidePopover(event.target) ? active : null);
    if (!from) return;
    const to = event.relatedTarget;
    if (referenceFrom(to) === from || insidePopover(to)) return;
    clearTimeout(openTimer);
    if (from === active && openedBy === "hover") scheduleClose();
  });

  // Keyboard focus opens at once; focus leaving both closes.
  document.addEventListener("focusin", (event) => {
    const ref = referenceFrom(event.target);
    if (ref && !restoringFocus) open(ref, "focus");
  });
  document.addEventListener("focusout", (event) => {
    if (!active || openedBy === "hover") return;
    const to = event.relatedTarget;
    if (to === active || insidePopover(to)) return;
    // Focus moved somewhere else on the page (Tab past the note).
    if (to) close({ restoreFocus: false });
  });

  // Click or tap: toggles; the note opens instead of the page jumping.
  document.addEventListener("click", (event) => {
    const ref = referenceFrom(event.target);
    if (!ref) return;
    event.preventDefault();
    if (ref === active && openedBy === "click") close({ restoreFocus: true });
    else open(ref, "click");
  });

  // Dismissal: Escape, or a press anywhere outside the note and its reference.
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && active) {
      event.preventDefault();
      close({ restoreFocus: true });
    }
  });
  // Focus goes back to the reference once the press is over, unless the
  // press itself chose a control to focus (a link, a field).
  const CONTROL =
    'a[href], button, input, select, textarea, summary, [contenteditable], [tabindex]:not([tabindex="-1"])';
  let returnFocusTo = null;
  document.addEventListener("pointerdown", (event) => {
    if (!active || referenceFrom(event.target) || insidePopover(event.target)) return;
    returnFocusTo = active;
    close({ restoreFocus: false });
  });
  document.addEventListener("click", () => {
    const ref = returnFocusTo;
    returnFocusTo = null;
    const focused = document.activeElement;
    if (ref?.isConnected && !focused?.matches(CONTROL)) {
      restoringFocus = true;
      ref.focus({ preventScroll: true });
      restoringFocus = false;
    }
  });

  const reposition = () => {
    const panel = popover();
    if (active && panel?.matches(":popover-open")) place(panel, active);
  };
  window.addEventListener("resize", reposition);

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => prepare(document));
  } else {
    prepare(document);
  }
})();
