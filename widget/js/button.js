// Button mode of embed.js: a "Pay with crypto" button that starts a payment at the price the
// merchant defined on the shim and opens the widget in a modal dialog on the same page. Loaded by
// embed.js only for `data-button` tags (see embed.js for the attributes and events).
export function button({ data, host, apiBase, load, options }) {
  // [pay, close, could not start] in each of the widget's languages.
  const WORDS = {
    en: ["Pay with crypto", "Close", "The payment could not be started"],
    hi: ["क्रिप्टो से भुगतान करें", "बंद करें", "भुगतान शुरू नहीं हो सका"],
    ru: ["Оплатить криптовалютой", "Закрыть", "Не удалось начать оплату"],
    es: ["Pagar con cripto", "Cerrar", "No se pudo iniciar el pago"],
    pt: ["Pagar com cripto", "Fechar", "Não foi possível iniciar o pagamento"],
    fr: ["Payer en crypto", "Fermer", "Le paiement n’a pas pu démarrer"],
    de: ["Mit Krypto bezahlen", "Schließen", "Die Zahlung konnte nicht gestartet werden"],
    tr: ["Kripto ile öde", "Kapat", "Ödeme başlatılamadı"],
    zh: ["使用加密货币支付", "关闭", "无法发起支付"],
    id: ["Bayar dengan kripto", "Tutup", "Pembayaran tidak dapat dimulai"],
    vi: ["Thanh toán bằng tiền mã hóa", "Đóng", "Không thể bắt đầu thanh toán"],
    ar: ["ادفع بالعملات المشفرة", "إغلاق", "تعذّر بدء الدفع"],
  };
  const lang = [data.locale, document.documentElement.lang, ...(navigator.languages || [])]
    .map((tag) => (tag || "").toLowerCase().split(/[-_]/)[0])
    .find((tag) => WORDS[tag]) || "en";
  const [payWord, closeWord, failedWord] = WORDS[lang];
  const buttonId = data.button;

  host.setAttribute("data-checkout-button", buttonId);
  const root = host.attachShadow({ mode: "open" });
  root.innerHTML = `<style>
:host { display: inline-block; }
button { font: inherit; font-family: var(--ckw-font, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif); cursor: pointer; }
.pay { font-weight: 600; padding: 0.7em 1.4em; border: 0; border-radius: var(--ckw-radius, 14px);
  background: var(--ckw-accent, #2b6cb0); color: var(--ckw-accent-fg, #fff); }
.pay[aria-busy="true"] { opacity: 0.75; cursor: progress; }
button:focus-visible { outline: 3px solid var(--ckw-accent, #2b6cb0); outline-offset: 2px; }
.error { margin: 0.5em 0 0; color: #b42318; font-family: var(--ckw-font, system-ui, sans-serif); }
.error:empty { display: none; }
dialog { border: 0; padding: 0; width: min(460px, calc(100vw - 16px)); max-height: calc(100dvh - 16px);
  border-radius: min(var(--ckw-radius, 14px), 24px); background: var(--ckw-bg, #fff); color: var(--ckw-fg, #1d2330);
  font-family: var(--ckw-font, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif); font-size: var(--ckw-font-size, medium); }
dialog::backdrop { background: rgb(0 0 0 / 0.55); }
dialog[data-theme="dark"] { background: var(--ckw-bg, #1a202c); color: var(--ckw-fg, #f7fafc); }
@media (prefers-color-scheme: dark) {
  dialog[data-theme="auto"] { background: var(--ckw-bg, #1a202c); color: var(--ckw-fg, #f7fafc); }
}
header { display: flex; align-items: flex-start; justify-content: space-between; gap: 8px; padding: 16px 16px 0; }
h2 { margin: 0; font-size: 1.1em; }
header p { margin: 2px 0 0; opacity: 0.8; }
.close { border: 0; background: transparent; color: inherit; font-size: 1.6em; line-height: 1; padding: 2px 10px; border-radius: 8px; }
</style><button class="pay" part="button" type="button"></button><p class="error" part="error" role="alert"></p>
<dialog part="dialog" aria-labelledby="ckw-title"><header><div><h2 id="ckw-title"></h2><p></p></div>
<button class="close" part="close" type="button"><span aria-hidden="true">×</span></button></header><div></div></dialog>`;
  const [pay, close] = root.querySelectorAll("button");
  const error = root.querySelector(".error");
  const dialog = root.querySelector("dialog");
  const title = root.querySelector("h2");
  const merchant = root.querySelector("header p");
  const mountPoint = dialog.lastElementChild;
  pay.textContent = data.label || payWord;
  close.setAttribute("aria-label", closeWord);
  dialog.dataset.theme = data.theme || "auto";
  if (lang === "ar") root.querySelectorAll("p, dialog").forEach((e) => (e.dir = "rtl"));

  const tell = (name, detail) =>
    host.dispatchEvent(new CustomEvent(name, { bubbles: true, composed: true, detail: { buttonId, ...detail } }));
  // The payment this tab started and has not finished: reopened, not started again.
  const key = `checkout-button:${buttonId}`;
  const remember = (payment) => {
    try {
      if (payment) sessionStorage.setItem(key, JSON.stringify(payment));
      else sessionStorage.removeItem(key);
    } catch {
      // Storage is off: every click starts a payment.
    }
  };
  const unfinished = async () => {
    let saved;
    try {
      saved = JSON.parse(sessionStorage.getItem(key) || "null");
    } catch {
      return null;
    }
    if (!saved) return null;
    const response = await fetch(`${apiBase}/v1/invoices/${encodeURIComponent(saved.invoice_id)}`);
    const view = response.ok ? await response.json() : null;
    return view && !view.is_final ? saved : null;
  };
  const start = async () => {
    // No body and no custom header: a simple request, without a preflight round trip.
    const response = await fetch(`${apiBase}/v1/buttons/${encodeURIComponent(buttonId)}/invoices`, {
      method: "POST",
    });
    const body = await response.json().catch(() => null);
    if (!response.ok) throw new Error(body?.error?.message || `HTTP ${response.status}`);
    remember(body);
    return body;
  };

  let handle = null;
  const onStatus = (event) => {
    const { invoiceId, status, isFinal } = event.detail;
    tell("checkout:status", { invoiceId, status, isFinal });
    if (isFinal) remember(null);
    if (status === "paid" || status === "overpaid") tell("checkout:success", { invoiceId, status });
  };
  mountPoint.addEventListener("checkout:status", onStatus);
  dialog.addEventListener("close", () => {
    if (handle) handle.destroy();
    handle = null;
    pay.focus();
  });
  close.addEventListener("click", () => dialog.close());
  pay.addEventListener("pointerenter", () => load().catch(() => {}), { once: true });
  pay.addEventListener("click", async () => {
    if (pay.getAttribute("aria-busy") === "true") return;
    pay.setAttribute("aria-busy", "true");
    error.textContent = "";
    try {
      const [widget, payment] = await Promise.all([
        load(),
        unfinished().catch(() => null).then((saved) => saved || start()),
      ]);
      title.textContent = payment.description;
      merchant.textContent = payment.merchant;
      dialog.showModal();
      handle = widget.mount(mountPoint, options(payment.invoice_id));
    } catch (e) {
      console.error("pay button failed", e);
      error.textContent = `${failedWord}: ${e?.message || e}`;
    } finally {
      pay.removeAttribute("aria-busy");
    }
  });
}
