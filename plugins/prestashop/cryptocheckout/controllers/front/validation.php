<?php
/**
 * The checkout posts here: the cart becomes an order in "Awaiting crypto payment", and the payer
 * goes on to pay it.
 */
class CryptoCheckoutValidationModuleFrontController extends ModuleFrontController
{
    public function postProcess()
    {
        $cart = $this->context->cart;
        if (!$this->module->active || !$cart->id_customer || !$cart->id_address_delivery || !$cart->id_address_invoice) {
            Tools::redirect('index.php?controller=order&step=1');
        }
        $allowed = false;
        foreach (Module::getPaymentModules() as $module) {
            if ($module['name'] === 'cryptocheckout') {
                $allowed = true;
                break;
            }
        }
        if (!$allowed) {
            exit($this->module->l('This payment method is not available.', 'validation'));
        }
        $customer = new Customer($cart->id_customer);
        if (!Validate::isLoadedObject($customer)) {
            Tools::redirect('index.php?controller=order&step=1');
        }
        $total = (float) $cart->getOrderTotal(true, Cart::BOTH);
        $this->module->validateOrder(
            (int) $cart->id,
            (int) Configuration::get(CryptoCheckout::CONFIG_AWAITING),
            $total,
            $this->module->displayName,
            null,
            [],
            (int) $this->context->currency->id,
            false,
            $customer->secure_key
        );
        Tools::redirect($this->context->link->getModuleLink('cryptocheckout', 'pay', [
            'id_order' => (int) $this->module->currentOrder,
            'key' => $customer->secure_key,
        ], true));
    }
}
