"""What the page adds to Gradio's own: the stylesheet and one click handler.

The handler opens the source viewer: a click on a citation link ([n] in an answer, href "#qc-cite-<message>-<n>")
or on a source card (data-qc-cite="<message>-<n>") puts that reference in the hidden `#viewer-ref` box and
clicks the hidden `#open-viewer` button, whose Python handler renders the view. Nothing else runs in the page."""
from __future__ import annotations

CSS = """
/* WCAG AA contrast (axe): the theme's orange buttons and the grey footer are too light for their text */
:root, .dark { --button-primary-background-fill: #b93b0b; --button-primary-background-fill-hover: #9a3412;
               --button-cancel-background-fill: #b91c1c; --button-cancel-background-fill-hover: #991b1b; }
footer, footer .show-api, footer button, footer a, #upload-files .or { color: #374151 !important; }
.qc-source { margin-bottom: 14px; cursor: pointer; border-radius: 6px; padding: 4px 6px; }
.qc-source:hover, .qc-source:focus { background: rgba(127, 127, 127, 0.12); outline: none; }
.qc-source-title { margin-bottom: 2px; }
.qc-heading, .qc-score { font-size: 0.85em; opacity: 0.8; }
.qc-snippet { margin: 6px 0 0 0; padding-left: 10px; border-left: 3px solid #ccc; white-space: pre-wrap; }
.qc-fit-note { margin-bottom: 10px; font-style: italic; }
.qc-unsupported { color: #b45309; font-size: 0.85em; }
a[href^="#qc-cite-"] { text-decoration: none; font-weight: 600; }
a[href$="-u"] { text-decoration: underline wavy #d97706; }
a[href$="-u"]::after { content: "⚠"; font-size: 0.75em; }
.qc-hidden { display: none !important; }
/* the account bar names the tabs the user's role does not allow (gradio 6 cannot hide a tab by an update) */
body:has(#account-bar[data-hide~="documents"]) [data-tab-id="documents"],
body:has(#account-bar[data-hide~="access"]) [data-tab-id="access"],
body:has(#account-bar[data-hide~="status"]) [data-tab-id="status"] { display: none !important; }
#account-bar { display: flex; justify-content: flex-end; align-items: center; gap: 12px; font-size: 0.95em; }
.qc-inline { display: inline; margin: 0; }
.qc-link { background: none; border: none; padding: 0; color: #1d4ed8; text-decoration: underline;
           cursor: pointer; font: inherit; }
.qc-page-frame { position: relative; display: inline-block; max-width: 100%; line-height: 0; }
.qc-page-frame img { max-width: 100%; height: auto; border: 1px solid #ccc; }
.qc-box { position: absolute; background: rgba(250, 204, 21, 0.38); outline: 2px solid rgba(217, 119, 6, 0.8);
          pointer-events: none; }
.qc-context { white-space: pre-wrap; max-height: 520px; overflow-y: auto; }
.qc-context mark { background: rgba(250, 204, 21, 0.55); padding: 0 1px; }
.qc-location, .qc-view-note { font-size: 0.9em; opacity: 0.85; margin-bottom: 6px; }
@media (max-width: 480px) {
  .qc-context { max-height: 360px; }
  #chatbot { height: 60vh !important; }
}
"""

HEAD = """
<script>
(() => {
  function openSource(ref) {
    const box = document.querySelector('#viewer-ref textarea, #viewer-ref input');
    const button = document.querySelector('#open-viewer');
    if (!box || !button) return;
    box.value = ref + '@' + Date.now();
    box.dispatchEvent(new Event('input', { bubbles: true }));
    setTimeout(() => button.click(), 30);
  }
  function target(event) {
    const link = event.target.closest && event.target.closest('a[href^="#qc-cite-"], [data-qc-cite]');
    if (!link) return null;
    return link.getAttribute('data-qc-cite') || link.getAttribute('href').slice('#qc-cite-'.length);
  }
  document.addEventListener('click', (event) => {
    const ref = target(event);
    if (ref === null) return;
    event.preventDefault();
    event.stopPropagation();
    openSource(ref);
  }, true);
  document.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter' && event.key !== ' ') return;
    const ref = target(event);
    if (ref === null) return;
    event.preventDefault();
    openSource(ref);
  }, true);
})();
</script>
"""
