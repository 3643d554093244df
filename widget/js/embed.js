// Mounts the checkout widget where this script tag stands:
//   <script src="https://shim.example/widget/embed.js" data-invoice="inv_..." async></script>
// Optional: data-api-base (default: the shim this script came from), data-target (the id of an
// element to mount into instead of a new one after the script), data-locale, data-theme
// ("light", "dark" or "auto"),
// data-redirect-after (seconds from a successful payment to the shop's success page; 0 stays).
// Status changes bubble from the widget's element as `checkout:status` events.
(() => {
  const script = document.currentScript;
  if (!script) return;
  const src = new URL(script.src, document.baseURI);
  const apiBase = script.dataset.apiBase || src.origin;
  const invoiceId = script.dataset.invoice;
  let host = script.dataset.target && document.getElementById(script.dataset.target);
  if (!host) {
    host = document.createElement("div");
    script.after(host);
  }
  const fail = (message) => {
    host.textContent = message;
    host.setAttribute("role", "alert");
  };
  if (!invoiceId) return fail("Payment widget: data-invoice is missing on the script tag.");
  import(new URL("checkout.js", src).href)
    .then(async (widget) => {
      await widget.default({ module_or_path: new URL("checkout_bg.wasm", src) });
            const redirect = script.dataset.redirectAfter;
      widget.mount(host, {
        apiBase,
        invoiceId,
        locale: script.dataset.locale,
        theme: script.dataset.theme,
        redirectAfterSeconds: redirect === undefined ? undefined : Number(redirect),
      });
    })
    .catch((error) => {
      console.error("checkout widget failed to load", error);
      fail("The payment widget could not be loaded. Please reload the page.");
    });
})();
