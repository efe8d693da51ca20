// MathJax settings for the math that pymdownx.arithmatex (generic mode) leaves
// in the page: inline math as \( ... \), display math as \[ ... \], each inside
// an element of class "arithmatex". Everything else on the page is left alone,
// so a stray dollar sign in an abstract is never typeset.
window.MathJax = {
  tex: {
    inlineMath: [["\\(", "\\)"]],
    displayMath: [["\\[", "\\]"]],
    processEscapes: true,
    processEnvironments: true,
  },
  options: {
    ignoreHtmlClass: ".*|",
    processHtmlClass: "arithmatex",
  },
};

// The theme announces every page it shows on document$ (on first load, and
// again without a reload when instant navigation is on): typeset each one.
if (typeof document$ !== "undefined") {
  document$.subscribe(() => {
    if (window.MathJax && MathJax.typesetPromise) {
      MathJax.startup.output.clearCache();
      MathJax.typesetClear();
      MathJax.texReset();
      MathJax.typesetPromise();
    }
  });
}
