// mage dev's page helper, added to the try-it page by the dev front (the shipped page
// has none of it): reload on a good build, show a failed one over the page.
(function () {
  if (!window.EventSource) return;
  var box = null;
  var events = new EventSource("/__dev/events");
  events.addEventListener("reload", function () { location.reload(); });
  events.addEventListener("error", function (e) {
    // EventSource also fires "error" (no data) when the connection drops; dev then
    // reconnects by itself, nothing to show.
    if (typeof e.data != "string") return;
    if (!box) {
      box = document.createElement("pre");
      box.id = "wsjs-dev-error";
      box.style.cssText = "position:fixed;left:0;right:0;top:0;max-height:60%;overflow:auto;margin:0;" +
        "padding:1rem;background:#2b0d0d;color:#ffd2d2;font:13px/1.45 ui-monospace,monospace;" +
        "white-space:pre-wrap;z-index:2147483647;border-bottom:3px solid #e5484d";
      (document.body || document.documentElement).appendChild(box);
    }
    box.textContent = "mage dev: the build failed (fix it and save; this page reloads)\n\n" + e.data;
  });
})();
