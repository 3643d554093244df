// One script tag, three modes.
//
// Invoice mode mounts the checkout widget where the tag stands:
//   <script src="https://shim.example/widget/embed.js" data-invoice="inv_..." async></script>
// Deposit mode shows a customer's permanent deposit address (from POST /v1/wallets) and the
// deposits as they arrive:
//   <script src="https://shim.example/widget/embed.js" data-wallet="wal_..." async></script>
// Button mode renders a "Pay with crypto" button; a click starts a payment at the price the
// merchant defined on the shim (`server-shim buttons create`), never one from the page, and opens
// the widget in a modal dialog on the same page:
//   <script src="https://shim.example/widget/embed.js" data-button="btn_..." async></script>
//
// Optional: data-api-base (default: the shim this script came from), data-target (the id of an
// element to render into instead of a new one after the script), data-locale, data-theme
// ("light", "dark" or "auto"), data-redirect-after (seconds from a successful payment to the
// shop's success page; 0 stays), and in button mode data-label (the button's text; default
// "Pay with crypto" in the payer's language), and data-refresh (seconds: where the host already
// holds the payment in plain HTML, as on the shim's own pages, a browser that cannot run the widget
// keeps that and reloads the page this often; 0 or absent does not reload).
//
// Events bubble from the element the script renders into: `checkout:status` on every status
// change ({ invoiceId, status, isFinal }, plus buttonId in button mode) and, in button mode,
// `checkout:success` once the payment is paid. The button takes the widget's CSS custom
// properties (--ckw-accent, --ckw-accent-fg, --ckw-radius, --ckw-font...) and can be styled
// further through [data-checkout-button]::part(button) (also: part "dialog", "close", "error").
(() => {
  const script = document.currentScript;
  if (!script) return;
  const data = script.dataset;
  const src = new URL(script.src, document.baseURI);
  const apiBase = (data.apiBase || src.origin).replace(/\/+$/, "");
  // The widget's other files (its languages) are beside this one.
  const assetBase = new URL(".", src).href;
  let host = data.target && document.getElementById(data.target);
  if (!host) {
    host = document.createElement("div");
    script.after(host);
  }
  // The widget for invoices, or (for data-wallet) the deposit card: two builds, so that a payer
  // downloads only the code of the one on the page.
  const [code, wasm] = data.wallet && !data.invoice && !data.button
    ? ["deposit.js", "deposit_bg.wasm"]
    : ["checkout.js", "checkout_bg.wasm"];
  let loading;
  const load = () =>
    (loading ||= import(new URL(code, src).href).then(async (widget) => {
      await widget.default({ module_or_path: new URL(wasm, src) });
      return widget;
    }));
  const options = (invoiceId) => ({
    apiBase,
    assetBase,
    invoiceId,
    locale: data.locale,
    theme: data.theme,
    redirectAfterSeconds: data.redirectAfter === undefined ? undefined : Number(data.redirectAfter),
  });

  const fail = (message) => {
    host.textContent = message;
    host.setAttribute("role", "alert");
  };
  if (data.button) {
    // Button mode is in its own file: the payers of invoices and wallets do not download it.
    import(new URL("button.js", src).href)
      .then(({ button }) => button({ data, host, apiBase, load, options }))
      .catch((error) => {
        console.error("pay button failed to load", error);
        fail("The pay button could not be loaded. Please reload the page.");
      });
    return;
  }
  if (!data.invoice && !data.wallet) {
    return fail("Payment widget: data-invoice, data-wallet or data-button is missing on the script tag.");
  }
  const mountOptions = data.invoice
    ? options(data.invoice)
    : { apiBase, assetBase, walletId: data.wallet, locale: data.locale, theme: data.theme };
  // The shim's own pages put the payment in plain HTML inside the host (for browsers without
  // WebAssembly) and say how often it should be re-read (data-refresh, seconds; 0 once final):
  // without the widget, that page stays and reloads itself.
  const plain = host.childElementCount > 0;
  const keepPlain = () => {
    const seconds = Number(data.refresh);
    if (seconds > 0) setTimeout(() => location.reload(), seconds * 1000);
  };
  if (typeof WebAssembly !== "object") {
    if (plain) return keepPlain();
    return fail("This browser cannot show the payment widget (WebAssembly is turned off).");
  }
  load()
    .then((widget) => widget.mount(host, mountOptions))
    .catch((error) => {
      console.error("checkout widget failed to load", error);
      if (plain) return keepPlain();
      fail("The payment widget could not be loaded. Please reload the page.");
    });
})();
