<?php
/**
 * Crypto Checkout for PrestaShop 1.7 and 8: payments in cryptocurrency through Cryptomus, with the
 * checkout kit's shim and widget. Orders move by themselves as the payment does.
 *
 * Version: 0.1.0
 * License: MIT
 */

if (!defined('_PS_VERSION_')) {
    exit;
}

require_once __DIR__ . '/classes/CryptoCheckoutShim.php';

use PrestaShop\PrestaShop\Core\Payment\PaymentOption;

class CryptoCheckout extends PaymentModule
{
    const CONFIG_URL = 'CRYPTOCHECKOUT_SHIM_URL';
    const CONFIG_TOKEN = 'CRYPTOCHECKOUT_SHOP_TOKEN';
    const CONFIG_AWAITING = 'CRYPTOCHECKOUT_OS_AWAITING';
    const CONFIG_CONFIRMING = 'CRYPTOCHECKOUT_OS_CONFIRMING';

    public function __construct()
    {
        $this->name = 'cryptocheckout';
        $this->tab = 'payments_gateways';
        $this->version = '0.1.0';
        $this->author = 'Crypto checkout kit';
        $this->need_instance = 0;
        $this->ps_versions_compliancy = ['min' => '1.7.0', 'max' => _PS_VERSION_];
        $this->bootstrap = true;
        $this->controllers = ['validation', 'pay'];
        parent::__construct();
        $this->displayName = $this->l('Crypto (Cryptomus)');
        $this->description = $this->l('Customers pay in cryptocurrency; orders update themselves when the payment arrives.');
    }

    public function install()
    {
        return parent::install()
            && $this->registerHook('paymentOptions')
            && $this->registerHook('paymentReturn')
            && $this->installOrderState(self::CONFIG_AWAITING, 'Awaiting crypto payment', '#4169E1')
            && $this->installOrderState(self::CONFIG_CONFIRMING, 'Crypto payment confirming', '#FF8C00');
    }

    public function uninstall()
    {
        // The order states stay: orders refer to them.
        return Configuration::deleteByName(self::CONFIG_URL)
            && Configuration::deleteByName(self::CONFIG_TOKEN)
            && parent::uninstall();
    }

    /**
     * Creates one of the module's order states once, and remembers its id.
     */
    private function installOrderState($key, $name, $color)
    {
        $existing = (int) Configuration::get($key);
        if ($existing && Validate::isLoadedObject(new OrderState($existing))) {
            return true;
        }
        $state = new OrderState();
        $state->name = [];
        foreach (Language::getLanguages(false) as $language) {
            $state->name[$language['id_lang']] = $name;
        }
        $state->module_name = $this->name;
        $state->color = $color;
        $state->send_email = false;
        $state->logable = false;
        $state->paid = false;
        $state->invoice = false;
        $state->hidden = false;
        $state->delivery = false;
        $state->unremovable = true;
        if (!$state->add()) {
            return false;
        }
        return Configuration::updateValue($key, (int) $state->id);
    }

    /**
     * The shim client with the saved settings.
     */
    public function shim()
    {
        return new CryptoCheckoutShim(
            (string) Configuration::get(self::CONFIG_URL),
            (string) Configuration::get(self::CONFIG_TOKEN)
        );
    }

    public function isConfigured()
    {
        return Configuration::get(self::CONFIG_URL) && Configuration::get(self::CONFIG_TOKEN);
    }

    public function hookPaymentOptions($params)
    {
        if (!$this->active || !$this->isConfigured()) {
            return [];
        }
        $option = new PaymentOption();
        $option->setModuleName($this->name)
            ->setCallToActionText($this->l('Pay with crypto'))
            ->setAdditionalInformation($this->l('Bitcoin, USDT and other coins: you will see the address and a QR code on the next page.'))
            ->setAction($this->context->link->getModuleLink($this->name, 'validation', [], true));
        return [$option];
    }

    public function hookPaymentReturn($params)
    {
        if (!$this->active) {
            return '';
        }
        return $this->fetch('module:cryptocheckout/views/templates/hook/payment_return.tpl');
    }

    /**
     * The configuration page: the shim's URL and the shop token, and the state ids the shim needs.
     */
    public function getContent()
    {
        $output = '';
        if (Tools::isSubmit('submitCryptoCheckout')) {
            $url = trim((string) Tools::getValue(self::CONFIG_URL));
            $token = trim((string) Tools::getValue(self::CONFIG_TOKEN));
            if (!Validate::isAbsoluteUrl($url)) {
                $output .= $this->displayError($this->l('The shim URL must be a full URL, like https://pay.my-shop.example'));
            } else {
                Configuration::updateValue(self::CONFIG_URL, rtrim($url, '/'));
                if ($token !== '') {
                    Configuration::updateValue(self::CONFIG_TOKEN, $token);
                }
                $output .= $this->displayConfirmation($this->l('Settings saved.'));
            }
        }
        $output .= $this->displayInformation(sprintf(
            $this->l('Connect the shim with: server-shim shops set-platform --name <shop> --platform prestashop --site <this shop URL> --api-key <Webservice key> --awaiting-state %d --confirming-state %d'),
            (int) Configuration::get(self::CONFIG_AWAITING),
            (int) Configuration::get(self::CONFIG_CONFIRMING)
        ));
        $helper = new HelperForm();
        $helper->module = $this;
        $helper->name_controller = $this->name;
        $helper->token = Tools::getAdminTokenLite('AdminModules');
        $helper->currentIndex = AdminController::$currentIndex . '&configure=' . $this->name;
        $helper->submit_action = 'submitCryptoCheckout';
        $helper->fields_value = [
            self::CONFIG_URL => Configuration::get(self::CONFIG_URL),
            self::CONFIG_TOKEN => '',
        ];
        $form = [
            'form' => [
                'legend' => ['title' => $this->l('Settings')],
                'input' => [
                    [
                        'type' => 'text',
                        'label' => $this->l('Shim URL'),
                        'name' => self::CONFIG_URL,
                        'required' => true,
                    ],
                    [
                        'type' => 'password',
                        'label' => $this->l('Shop token'),
                        'name' => self::CONFIG_TOKEN,
                        'desc' => $this->l('The token `server-shim shops add` printed for this shop. Leave empty to keep the saved one.'),
                    ],
                ],
                'submit' => ['title' => $this->l('Save')],
            ],
        ];
        return $output . $helper->generateForm([$form]);
    }
}
