// The checkout UI extension, without Shopify: its link, its translations, and (with
// CHECKOUT_EXTENSION_NODE_PATH set by `cargo xtask test`) a bundle of each target built with
// esbuild against Shopify's own @shopify/ui-extensions and Preact, as Shopify CLI builds it.
//   node --test plugins/shopify/tests/
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { payLink, paysManually, PROXY_PATH } from "../extensions/pay-with-crypto/src/payLink.js";

const extension = join(dirname(fileURLToPath(import.meta.url)), "../extensions/pay-with-crypto");
const shop = { myshopifyDomain: "my-shop.myshopify.com" };

test("the link goes through the app proxy with the order and its confirmation number", () => {
  assert.equal(
    payLink(shop, "gid://shopify/Order/450789469", "XPAV284CT"),
    "https://my-shop.myshopify.com/apps/crypto-checkout/pay?order=450789469&confirmation=XPAV284CT",
  );
  assert.equal(
    payLink({ ...shop, storefrontUrl: "https://shop.example/" }, "gid://shopify/Order/1", "A1"),
    "https://shop.example/apps/crypto-checkout/pay?order=1&confirmation=A1",
  );
});

test("no link without an order id or a confirmation number it can trust", () => {
  for (const [id, number] of [
    [undefined, "A1"],
    ["gid://shopify/Order/1", undefined],
    ["gid://shopify/Customer/1", "A1"],
    ["gid://shopify/Order/1&x=2", "A1"],
    ["gid://shopify/Order/1", "A1&order=2"],
  ]) {
    assert.equal(payLink(shop, id, number), null, `${id} ${number}`);
  }
});

test("only a manual payment method shows it", () => {
  assert.equal(paysManually([{ type: "creditCard", handle: "a" }]), false);
  assert.equal(paysManually([{ type: "manualPayment", handle: "b" }]), true);
  assert.equal(paysManually(undefined), false);
});

test("the app proxy path is the one shopify.app.toml sets up", () => {
  const app = readFileSync(join(extension, "../../shopify.app.toml"), "utf8");
  const subpath = /^subpath = "([^"]+)"/m.exec(app)[1];
  const prefix = /^prefix = "([^"]+)"/m.exec(app)[1];
  assert.equal(PROXY_PATH, `/${prefix}/${subpath}/pay`);
});

test("every language has every text the targets use", () => {
  const used = new Set();
  for (const file of ["ThankYou.jsx", "OrderStatus.jsx"]) {
    const source = readFileSync(join(extension, "src", file), "utf8");
    for (const [, key] of source.matchAll(/translate\("([^"]+)"\)/g)) used.add(key);
  }
  assert.ok(used.size >= 2);
  const locales = readdirSync(join(extension, "locales"));
  assert.ok(locales.includes("en.default.json"));
  for (const locale of locales) {
    const texts = JSON.parse(readFileSync(join(extension, "locales", locale), "utf8"));
    assert.deepEqual(Object.keys(texts).sort(), [...used].sort(), locale);
    for (const text of Object.values(texts)) assert.ok(text.trim().length > 0, locale);
  }
});

test("each target bundles against Shopify's own packages", { skip: !process.env.CHECKOUT_EXTENSION_NODE_PATH }, () => {
  const nodePaths = process.env.CHECKOUT_EXTENSION_NODE_PATH.split(":");
  const require = createRequire(join(nodePaths[0], "noop.js"));
  const esbuild = require("esbuild");
  for (const target of ["ThankYou.jsx", "OrderStatus.jsx"]) {
    const result = esbuild.buildSync({
      entryPoints: [join(extension, "src", target)],
      bundle: true,
      write: false,
      format: "esm",
      jsx: "automatic",
      jsxImportSource: "preact",
      nodePaths,
      logLevel: "silent",
    });
    assert.equal(result.errors.length, 0, target);
    const code = result.outputFiles[0].text;
    assert.ok(code.includes("/apps/crypto-checkout/pay"), target);
    assert.ok(code.includes("s-stack"), target);
  }
});
