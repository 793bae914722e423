// Footnote popovers, where there is no margin for sidenotes.
//
// Each reference is a plain link to its note (#fn-N) that also carries
// data-hx-get="footnotes/N/" and data-hx-trigger="footnote-open": this
// script decides when a note should open and fires that event; htmx fetches
// the note's fragment into #footnote-popover-content; this script then shows
// the popover beside the reference. Each note is fetched once per page view:
// the answer is kept and reused, so reopening a note costs nothing and works
// offline.
//
// On wide screens the renderer's copy of the note (.sidenote, right after
// the reference) is already in the margin: there the reference stays a
// plain link and no popover opens.
//
// Opens on hover (after a short delay), on keyboard focus and on tap.
// Stays open while the pointer is over it, and while the reader clicks,
// taps or selects text inside it. Escape or a click outside closes it and
// returns focus to the reference. The popover follows the reference in
// document order, so Tab moves from the reference into the note's links.
// Without JavaScript, the reference simply jumps to the note.
(() => {
  "use strict";

  const OPEN_DELAY_MS = 300;
  const CLOSE_DELAY_MS = 300;
  const LOADING_DELAY_MS = 150;
  const MARGIN_PX = 8;
  const GAP_PX = 10;
  const REFERENCE = "a.footnote-ref[data-hx-get]";

  let active = null; // the reference whose note is open (or opening)
  let openedBy = null; // "hover" | "focus" | "click"
  let openTimer = 0;
  let closeTimer = 0;
  let loadingTimer = 0;
  let restoringFocus = false;
  const answers = new Map(); // fragment URL -> the note's HTML, for this page view

  const popover = () => document.getElementById("footnote-popover");
  const content = () => document.getElementById("footnote-popover-content");
  const referenceFrom = (node) => (node instanceof Element ? node.closest(REFERENCE) : null);
  const insidePopover = (node) => node instanceof Node && !!popover()?.contains(node);
  const fragmentUrl = (ref) => new URL(ref.getAttribute("data-hx-get"), document.baseURI).href;

  // The note's copy beside the reference, when the stylesheet shows it.
  function visibleSidenote(ref) {
    const sup = ref.closest("sup");
    let next = sup?.nextElementSibling;
    if (next && next === popover()) next = next.nextElementSibling;
    if (!next?.classList.contains("sidenote")) return null;
    return getComputedStyle(next).display === "none" ? null : next;
  }

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
    if (!panel || visibleSidenote(ref)) return;
    if (active === ref) {
      // A click or focus makes an open note stay until dismissed.
      if (how !== "hover") openedBy = how;
      return;
    }
    if (active) close({ restoreFocus: false });
    active = ref;
    openedBy = how;
    ref.setAttribute("aria-expanded", "true");
    const number = ref.textContent.trim();
    panel.setAttribute("aria-label", `Footnote ${number}`);
    // After the reference (and its hidden sidenote): Tab goes from one into the other.
    const sup = ref.closest("sup") || ref;
    const sidenote = sup.nextElementSibling?.classList.contains("sidenote")
      ? sup.nextElementSibling
      : null;
    (sidenote || sup).after(panel);
    const known = answers.get(fragmentUrl(ref));
    if (known !== undefined) {
      content()?.replaceChildren(fromHtml(known));
      show();
      return;
    }
    panel.dataset.state = "loading";
    clearTimeout(loadingTimer);
    // A slow answer shows that it is coming; a quick one never flashes this.
    loadingTimer = setTimeout(() => {
      if (active !== ref || panel.dataset.state !== "loading") return;
      const message = document.createElement("p");
      message.className = "footnote-loading";
      message.setAttribute("role", "status");
      message.textContent = `Loading note ${number}…`;
      content()?.replaceChildren(message);
      show("loading");
    }, LOADING_DELAY_MS);
    htmx.trigger(ref, "footnote-open");
  }

  function fromHtml(html) {
    const template = document.createElement("template");
    template.innerHTML = html;
    return template.content;
  }

  function show(state = "open") {
    const panel = popover();
    if (!panel || !active) return;
    panel.dataset.state = state;
    if (!panel.matches(":popover-open")) panel.showPopover();
    placeWhenSettled(panel, active);
  }

  function close({ restoreFocus }) {
    clearTimeout(openTimer);
    clearTimeout(closeTimer);
    clearTimeout(loadingTimer);
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

  // Placed once the browser has finished any scrolling that focusing the
  // reference started, so "is there room below?" is asked of the final view.
  function placeWhenSettled(panel, ref) {
    place(panel, ref);
    requestAnimationFrame(() => {
      if (active === ref) place(panel, ref);
    });
    const again = () => {
      if (active === ref && panel.matches(":popover-open")) place(panel, ref);
    };
    window.addEventListener("scrollend", again, { once: true });
    setTimeout(() => window.removeEventListener("scrollend", again), 1000);
  }

  // Below the reference when there is room, else above it; never over it.
  // A note opened on purpose (click, tap, keyboard) that has room neither
  // below nor above scrolls the page up a little so it fits below, rather
  // than covering the lines that lead to the reference. The note's height is
  // bounded by the stylesheet; a longer note scrolls inside it.
  function place(panel, ref) {
    const viewportWidth = document.documentElement.clientWidth;
    const viewportHeight = window.innerHeight;
    let box = ref.getBoundingClientRect();
    const width = Math.min(panel.offsetWidth, viewportWidth - 2 * MARGIN_PX);
    const height = panel.offsetHeight;
    const roomBelow = viewportHeight - MARGIN_PX - (box.bottom + GAP_PX);
    const roomAbove = box.top - GAP_PX - MARGIN_PX;
    let side = "below";
    if (height > roomBelow) {
      if (openedBy !== "hover" && box.top - (height - roomBelow) >= MARGIN_PX) {
        window.scrollBy({ top: height - roomBelow, behavior: "instant" });
        box = ref.getBoundingClientRect();
      } else if (height <= roomAbove) {
        side = "above";
      }
    }
    let left = box.left + box.width / 2 - width / 2;
    left = Math.max(MARGIN_PX, Math.min(left, viewportWidth - width - MARGIN_PX));
    const top = side === "below" ? box.bottom + GAP_PX : box.top - GAP_PX - height;
    panel.dataset.side = side;
    // The arrow points at the reference's middle, wherever the note had to shift.
    const arrow = Math.max(12, Math.min(box.left + box.width / 2 - left, width - 12));
    panel.style.setProperty("--arrow-x", `${arrow}px`);
    panel.style.left = `${left + window.scrollX}px`;
    panel.style.top = `${top + window.scrollY}px`;
  }

  // htmx events: every note's answer is kept; only the open reference's fills the popover.
  document.addEventListener("htmx:after:request", (event) => {
    const ctx = event.detail?.ctx;
    const source = ctx?.sourceElement;
    if (referenceFrom(source) && ctx.response?.status === 200 && typeof ctx.text === "string") {
      answers.set(fragmentUrl(source), ctx.text);
    }
  });
  document.addEventListener("htmx:before:swap", (event) => {
    const source = event.detail?.ctx?.sourceElement;
    if (referenceFrom(source) && source !== active) event.preventDefault();
  });
  document.addEventListener("htmx:after:swap", (event) => {
    const source = event.detail?.ctx?.sourceElement;
    if (source && source === active) {
      clearTimeout(loadingTimer);
      show();
    } else prepare(document);
  });
  document.addEventListener("htmx:error", (event) => {
    const source = event.detail?.ctx?.sourceElement;
    if (!source || source !== active) return;
    clearTimeout(loadingTimer);
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
    // A press inside the note focuses the note itself (it has tabindex=-1);
    // anything else that takes focus means the reader moved on.
    if (to && !pressInside) close({ restoreFocus: false });
  });

  // Click or tap: toggles; the note opens instead of the page jumping.
  // Where the note is in the margin already, the link just jumps to the list.
  document.addEventListener("click", (event) => {
    const ref = referenceFrom(event.target);
    if (!ref || visibleSidenote(ref)) return;
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
  let pressInside = false;
  document.addEventListener("pointerdown", (event) => {
    pressInside = insidePopover(event.target);
    if (!active || referenceFrom(event.target) || pressInside) {
      if (pressInside && openedBy === "hover") openedBy = "click"; // a press pins it
      return;
    }
    returnFocusTo = active;
    close({ restoreFocus: false });
  });
  document.addEventListener("pointerup", () => {
    setTimeout(() => {
      pressInside = false;
    });
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
    if (!active || !panel?.matches(":popover-open")) return;
    // Widened until the margin shows the note: the popover is not needed.
    if (visibleSidenote(active)) close({ restoreFocus: false });
    else place(panel, active);
  };
  window.addEventListener("resize", reposition);

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => prepare(document));
  } else {
    prepare(document);
  }
})();
