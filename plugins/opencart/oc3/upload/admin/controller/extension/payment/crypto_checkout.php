<?php
/**
 * Crypto Checkout for OpenCart 3.0: the settings page (Extensions > Payments), and the nonce table
 * created on install and dropped on uninstall.
 */
require_once DIR_SYSTEM . 'library/crypto_checkout/core.php';

class ControllerExtensionPaymentCryptoCheckout extends Controller
{
    const ROUTE = 'extension/payment/crypto_checkout';

    /** @var array field => message */
    private $error = [];

    public function index()
    {
        $this->load->language(self::ROUTE);
        $this->document->setTitle($this->language->get('heading_title'));
        $this->load->model('setting/setting');

        if ($this->request->server['REQUEST_METHOD'] == 'POST') {
            $this->request->post = CryptoCheckoutCore::withKeptSecrets($this->request->post, function ($key) {
                return $this->config->get($key);
            });
        }
        if ($this->request->server['REQUEST_METHOD'] == 'POST' && $this->validate()) {
            $this->model_setting_setting->editSetting('payment_crypto_checkout', $this->request->post);
            $this->session->data['success'] = $this->language->get('text_success');
            $this->response->redirect($this->url->link('marketplace/extension', 'user_token=' . $this->session->data['user_token'] . '&type=payment', true));
        }

        $token = 'user_token=' . $this->session->data['user_token'];
        $data['breadcrumbs'] = [
            ['text' => $this->language->get('text_home'), 'href' => $this->url->link('common/dashboard', $token, true)],
            ['text' => $this->language->get('text_extension'), 'href' => $this->url->link('marketplace/extension', $token . '&type=payment', true)],
            ['text' => $this->language->get('heading_title'), 'href' => $this->url->link(self::ROUTE, $token, true)],
        ];
        $data['action'] = $this->url->link(self::ROUTE, $token, true);
        $data['cancel'] = $this->url->link('marketplace/extension', $token . '&type=payment', true);

        foreach (['warning', 'shim_url', 'shop_token', 'secret'] as $field) {
            $data['error_' . $field] = isset($this->error[$field]) ? $this->error[$field] : '';
        }

        // What the form shows: what was just posted, else what is saved, else the default.
        $defaults = [
            'status' => 0,
            'title' => '',
            'shim_url' => '',
            'shop_token' => '',
            // A fresh secret to paste on the shim's side, until one is saved.
            'secret' => bin2hex(random_bytes(32)),
            'hosted' => 0,
            'sort_order' => '',
        ];
        foreach (CryptoCheckoutCore::DEFAULT_STATUSES as $name => $id) {
            $defaults['status_' . $name] = $id;
        }
        $defaults['status_underpaid'] = $this->underpaidStatus();
        foreach ($defaults as $name => $default) {
            $key = 'payment_crypto_checkout_' . $name;
            if (isset($this->request->post[$key])) {
                $data[$key] = $this->request->post[$key];
            } elseif ($this->config->get($key) !== null && $this->config->get($key) !== '') {
                $data[$key] = $this->config->get($key);
            } else {
                $data[$key] = $default;
            }
        }

        // A saved token is never written back into the page.
        foreach (CryptoCheckoutCore::SECRET_SETTINGS as $key) {
            $data[$key] = '';
        }

        $data['status_fields'] = [];
        foreach (array_keys(CryptoCheckoutCore::DEFAULT_STATUSES) as $name) {
            $data['status_fields'][] = [
                'name' => 'payment_crypto_checkout_status_' . $name,
                'id' => 'input-status-' . $name,
                'label' => $this->language->get('entry_status_' . $name),
                'value' => $data['payment_crypto_checkout_status_' . $name],
            ];
        }
        $this->load->model('localisation/order_status');
        $data['order_statuses'] = $this->model_localisation_order_status->getOrderStatuses();

        // The two routes to give the shim.
        $catalog = defined('HTTPS_CATALOG') ? HTTPS_CATALOG : (defined('HTTP_CATALOG') ? HTTP_CATALOG : '');
        $data['order_url'] = $catalog . 'index.php?route=' . self::ROUTE . '/order';
        $data['callback_url'] = $catalog . 'index.php?route=' . self::ROUTE . '/callback';

        $data['header'] = $this->load->controller('common/header');
        $data['column_left'] = $this->load->controller('common/column_left');
        $data['footer'] = $this->load->controller('common/footer');
        $this->response->setOutput($this->load->view(self::ROUTE, $data));
    }

    /**
     * Called by OpenCart when the extension is installed.
     */
    public function install()
    {
        $this->underpaidStatus();
        $this->db->query("CREATE TABLE IF NOT EXISTS `" . DB_PREFIX . "crypto_checkout_nonce` ("
            . "`nonce` VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL, "
            . "`expires` INT(11) NOT NULL, "
            . "PRIMARY KEY (`nonce`), KEY `expires` (`expires`)"
            . ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4");
    }

    /**
     * The extension's own "Crypto underpaid" order status (made through OpenCart's own
     * localisation model when missing): payments that close short get it, not one that says
     * "ship it".
     */
    private function underpaidStatus()
    {
        $this->load->model('localisation/order_status');
        $this->load->model('localisation/language');
        $model = $this->model_localisation_order_status;

        return CryptoCheckoutCore::underpaidStatus(
            $model->getOrderStatuses(),
            $this->model_localisation_language->getLanguages(),
            function (array $data) use ($model) {
                return $model->addOrderStatus($data);
            }
        );
    }

    /**
     * Called by OpenCart when the extension is uninstalled (it deletes the settings itself).
     */
    public function uninstall()
    {
        $this->db->query("DROP TABLE IF EXISTS `" . DB_PREFIX . "crypto_checkout_nonce`");
    }

    protected function validate()
    {
        if (!$this->user->hasPermission('modify', self::ROUTE)) {
            $this->error['warning'] = $this->language->get('error_permission');
        }
        $post = $this->request->post;
        $url = isset($post['payment_crypto_checkout_shim_url']) ? html_entity_decode($post['payment_crypto_checkout_shim_url'], ENT_QUOTES, 'UTF-8') : '';
        if (!filter_var($url, FILTER_VALIDATE_URL) || !preg_match('#^https?://#i', $url)) {
            $this->error['shim_url'] = $this->language->get('error_shim_url');
        }
        if (empty($post['payment_crypto_checkout_shop_token'])) {
            $this->error['shop_token'] = $this->language->get('error_shop_token');
        }
        if (!isset($post['payment_crypto_checkout_secret']) || strlen(html_entity_decode($post['payment_crypto_checkout_secret'], ENT_QUOTES, 'UTF-8')) < 16) {
            $this->error['secret'] = $this->language->get('error_secret');
        }
        if ($this->error && !isset($this->error['warning'])) {
            $this->error['warning'] = $this->language->get('error_warning');
        }

        return !$this->error;
    }
}
