<?php
/**
 * The order's payment page: creates (or finds again) the invoice through the shim and shows the
 * widget. Reloading is safe: the shim returns the same invoice for the same order.
 */
class CryptoCheckoutPayModuleFrontController extends ModuleFrontController
{
    public function initContent()
    {
        parent::initContent();
        $order = new Order((int) Tools::getValue('id_order'));
        $customer = Validate::isLoadedObject($order) ? new Customer((int) $order->id_customer) : null;
        if (!$customer || !hash_equals((string) $customer->secure_key, (string) Tools::getValue('key'))) {
            Tools::redirect('index.php?controller=history');
        }
        $currency = new Currency((int) $order->id_currency);
        $shim = $this->module->shim();
        // Where the payer lands after paying, and where "return to the shop" leads: the order's
        // confirmation page, which a guest can open too and which says where the payment stands.
        $confirmation = $this->context->link->getPageLink('order-confirmation', true, null, [
            'id_cart' => (int) $order->id_cart,
            'id_module' => (int) $this->module->id,
            'id_order' => (int) $order->id,
            'key' => $customer->secure_key,
        ]);
        $request = CryptoCheckoutShim::invoiceRequest(
            $order->id,
            $order->total_paid_tax_incl,
            $currency->iso_code,
            $confirmation,
            $confirmation,
            isset($currency->precision) ? (int) $currency->precision : 2
        );
        $error = null;
        $invoice = null;
        try {
            $invoice = $shim->createInvoice($request);
        } catch (RuntimeException $e) {
            $error = $this->module->l($e->getMessage(), 'pay');
            PrestaShopLogger::addLog(
                'Crypto checkout: no invoice for order ' . (int) $order->id . ': ' . ($shim->lastError !== '' ? $shim->lastError : $e->getMessage()),
                3,
                null,
                'Order',
                (int) $order->id
            );
        }
        $this->context->smarty->assign([
            'crypto_error' => $error,
            'crypto_invoice' => $invoice ? $invoice['id'] : '',
            'crypto_shim' => $shim->url(),
            'crypto_locale' => $this->context->language->iso_code,
        ]);
        $this->setTemplate('module:cryptocheckout/views/templates/front/pay.tpl');
    }
}
