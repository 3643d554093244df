<?php
/**
 * Crypto Checkout for PrestaShop 1.7 and 8: payments in cryptocurrency through Cryptomus, with the
 * checkout kit's shim and widget. Orders move by themselves as the payment does.
 *
 * Version: 0.2.0
 * License: MIT
 */

if (!defined('_PS_VERSION_')) {
    exit;
}

require_once __DIR__ . '/classes/CryptoCheckoutShim.php';
require_once __DIR__ . '/classes/CryptoCheckoutRoute.php';

use PrestaShop\PrestaShop\Core\Payment\PaymentOption;

class CryptoCheckout extends PaymentModule
{
    const CONFIG_URL = 'CRYPTOCHECKOUT_SHIM_URL';
    const CONFIG_TOKEN = 'CRYPTOCHECKOUT_SHOP_TOKEN';
    const CONFIG_AWAITING = 'CRYPTOCHECKOUT_OS_AWAITING';
    const CONFIG_CONFIRMING = 'CRYPTOCHECKOUT_OS_CONFIRMING';
    const CONFIG_UNDERPAID = 'CRYPTOCHECKOUT_OS_UNDERPAID';
    const CONFIG_SECRET = 'CRYPTOCHECKOUT_SHARED_SECRET';
    const CONFIG_CONNECTED = 'CRYPTOCHECKOUT_CONNECTED';
    const CONFIG_EMPLOYEE = 'CRYPTOCHECKOUT_EMPLOYEE';

    public function __construct()
    {
        $this->name = 'cryptocheckout';
        $this->tab = 'payments_gateways';
        $this->version = '0.2.0';
        $this->author = 'Crypto checkout kit';
        $this->need_instance = 0;
        $this->ps_versions_compliancy = ['min' => '1.7.0', 'max' => _PS_VERSION_];
        $this->bootstrap = true;
        $this->controllers = ['validation', 'pay', 'shim'];
        parent::__construct();
        $this->displayName = $this->l('Crypto (Cryptomus)');
        $this->description = $this->l('Customers pay in cryptocurrency; orders update themselves when the payment arrives.');
    }

    public function install()
    {
        return parent::install()
            && $this->registerHook('paymentOptions')
            && $this->registerHook('displayPaymentReturn')
            && $this->installTables()
            && $this->installStates();
    }

    /**
     * The module's three order states: waiting, confirming (or partly paid), and underpaid (the
     * payment closed short, or needs a look: not to be shipped).
     */
    public function installStates()
    {
        return $this->installOrderState(self::CONFIG_AWAITING, 'Awaiting crypto payment', '#4169E1')
            && $this->installOrderState(self::CONFIG_CONFIRMING, 'Crypto payment confirming', '#FF8C00')
            && $this->installOrderState(self::CONFIG_UNDERPAID, 'Crypto payment underpaid', '#DC143C');
    }

    /**
     * The nonces of the shim's calls, and the updates applied to each order (so that a repeat of
     * the same update writes nothing).
     */
    public function installTables()
    {
        $engine = _MYSQL_ENGINE_;

        return Db::getInstance()->execute('CREATE TABLE IF NOT EXISTS `' . _DB_PREFIX_ . 'cryptocheckout_nonce` (
                `nonce` VARCHAR(64) NOT NULL, `expires` INT UNSIGNED NOT NULL,
                PRIMARY KEY (`nonce`), KEY `expires` (`expires`)
            ) ENGINE=' . $engine . ' DEFAULT CHARSET=utf8mb4')
            && Db::getInstance()->execute('CREATE TABLE IF NOT EXISTS `' . _DB_PREFIX_ . 'cryptocheckout_applied` (
                `id_order` INT UNSIGNED NOT NULL, `update_key` VARCHAR(40) NOT NULL, `date_add` DATETIME NOT NULL,
                PRIMARY KEY (`id_order`, `update_key`)
            ) ENGINE=' . $engine . ' DEFAULT CHARSET=utf8mb4');
    }

    /**
     * The secret shared with the shim, made on first use (40 letters and digits).
     *
     * @return string
     */
    public static function sharedSecret()
    {
        $secret = (string) Configuration::get(self::CONFIG_SECRET);
        if (strlen($secret) < 16) {
            $secret = Tools::passwdGen(40);
            Configuration::updateValue(self::CONFIG_SECRET, $secret);
        }

        return $secret;
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

    /**
     * The order confirmation page: what the order's payment really stands at (a payer may open it
     * before paying, or come back to it later).
     */
    public function hookDisplayPaymentReturn($params)
    {
        if (!$this->active || empty($params['order']) || !Validate::isLoadedObject($params['order'])) {
            return '';
        }
        $order = $params['order'];
        $state = CryptoCheckoutRoute::state((int) $order->current_state);
        $customer = new Customer((int) $order->id_customer);
        $this->context->smarty->assign([
            'crypto_state' => $state,
            'crypto_underpaid' => (int) $order->current_state === (int) Configuration::get(self::CONFIG_UNDERPAID),
            'crypto_reference' => $order->reference,
            'crypto_pay_url' => $this->context->link->getModuleLink($this->name, 'pay', [
                'id_order' => (int) $order->id,
                'key' => $customer->secure_key,
            ], true),
        ]);

        return $this->fetch('module:cryptocheckout/views/templates/hook/payment_return.tpl');
    }

    /**
     * The configuration page: the shim's URL and the shop token, the button that connects the
     * shop, and where the connection stands.
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
        if (Tools::isSubmit('connectCryptoCheckout')) {
            $output .= $this->connect();
        }
        $connected = json_decode((string) Configuration::get(self::CONFIG_CONNECTED), true);
        $output .= is_array($connected) && !empty($connected['at'])
            ? $this->displayInformation(sprintf(
                $this->l('Connected to %s on %s: orders update themselves.'),
                $connected['shim'],
                Tools::displayDate(date('Y-m-d H:i:s', (int) $connected['at']))
            ))
            : $this->displayWarning($this->l('Not connected yet: save the shim URL and the shop token, then click "Connect this shop", so that orders update themselves.'));
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
                'buttons' => [
                    [
                        'type' => 'submit',
                        'name' => 'connectCryptoCheckout',
                        'title' => $this->l('Connect this shop'),
                        'icon' => 'process-icon-refresh',
                        'class' => 'pull-right',
                    ],
                ],
            ],
        ];

        return $output . $helper->generateForm([$form]);
    }

    /**
     * Gives the shim this shop's route and the secret they share; the shim calls the route back
     * with it before it stores the connection. What happened, for the page.
     *
     * @return string
     */
    private function connect()
    {
        if (!$this->isConfigured()) {
            return $this->displayError($this->l('Save the shim URL and the shop token first.'));
        }
        try {
            $this->shim()->connect(rtrim(Tools::getShopDomainSsl(true) . __PS_BASE_URI__, '/'), self::sharedSecret());
        } catch (RuntimeException $e) {
            PrestaShopLogger::addLog('Crypto checkout: connecting the shop failed: ' . $e->getMessage(), 3, null, 'CryptoCheckout');

            return $this->displayError($e->getMessage());
        }
        Configuration::updateValue(self::CONFIG_CONNECTED, json_encode(['at' => time(), 'shim' => $this->shim()->url()]));
        // The shim's notes on orders appear as this employee's private messages.
        Configuration::updateValue(self::CONFIG_EMPLOYEE, (int) $this->context->employee->id);

        return $this->displayConfirmation($this->l('Connected: the shim reached this shop, and orders will update themselves.'));
    }
}
