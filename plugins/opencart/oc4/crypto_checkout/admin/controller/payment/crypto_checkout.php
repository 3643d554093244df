<?php
/**
 * Crypto Checkout for OpenCart 4.0 and 4.1: the settings page (Extensions > Payments), saved by
 * ajax, and the nonce table created on install and dropped on uninstall.
 */
namespace Opencart\Admin\Controller\Extension\CryptoCheckout\Payment;

require_once DIR_EXTENSION . 'crypto_checkout/system/library/crypto_checkout/core.php';

use CryptoCheckoutCore;

class CryptoCheckout extends \Opencart\System\Engine\Controller
{
    const ROUTE = 'extension/crypto_checkout/payment/crypto_checkout';

    public function index(): void
    {
        $this->load->language(self::ROUTE);
        $this->document->setTitle($this->language->get('heading_title'));

        $token = 'user_token=' . $this->session->data['user_token'];
        $data['breadcrumbs'] = [
            ['text' => $this->language->get('text_home'), 'href' => $this->url->link('common/dashboard', $token)],
            ['text' => $this->language->get('text_extension'), 'href' => $this->url->link('marketplace/extension', $token . '&type=payment')],
            ['text' => $this->language->get('heading_title'), 'href' => $this->url->link(self::ROUTE, $token)],
        ];
        $data['save'] = $this->url->link(self::ROUTE . $this->separator() . 'save', $token);
        $data['back'] = $this->url->link('marketplace/extension', $token . '&type=payment');

        // What the form shows: what is saved, else the default.
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
            $saved = $this->config->get($key);
            $data[$key] = ($saved !== null && $saved !== '') ? $saved : $default;
        }

        // A saved token is never written back into the page.
        foreach (CryptoCheckoutCore::SECRET_SETTINGS as $key) {
            $data[$key] = '';
        }

        $data['status_fields'] = [];
        foreach (array_keys(CryptoCheckoutCore::DEFAULT_STATUSES) as $name) {
            $data['status_fields'][] = [
                'name' => 'payment_crypto_checkout_status_' . $name,
                'id' => 'input-status-' . str_replace('_', '-', $name),
                'label' => $this->language->get('entry_status_' . $name),
                'value' => $data['payment_crypto_checkout_status_' . $name],
            ];
        }
        $this->load->model('localisation/order_status');
        $data['order_statuses'] = $this->model_localisation_order_status->getOrderStatuses();

        // The two routes to give the shim.
        $catalog = defined('HTTP_CATALOG') ? HTTP_CATALOG : '';
        $data['order_url'] = $catalog . 'index.php?route=' . self::ROUTE . $this->separator() . 'order';
        $data['callback_url'] = $catalog . 'index.php?route=' . self::ROUTE . $this->separator() . 'callback';

        $data['header'] = $this->load->controller('common/header');
        $data['column_left'] = $this->load->controller('common/column_left');
        $data['footer'] = $this->load->controller('common/footer');
        $this->response->setOutput($this->load->view(self::ROUTE, $data));
    }

    /**
     * Posted by the settings form: {"success": ...} or {"error": {field: message}}.
     */
    public function save(): void
    {
        $this->load->language(self::ROUTE);
        $json = [];
        $post = CryptoCheckoutCore::withKeptSecrets($this->request->post, function ($key) {
            return $this->config->get($key);
        });
        if (!$this->user->hasPermission('modify', self::ROUTE)) {
            $json['error']['warning'] = $this->language->get('error_permission');
        }
        $url = isset($post['payment_crypto_checkout_shim_url']) ? html_entity_decode((string) $post['payment_crypto_checkout_shim_url'], ENT_QUOTES, 'UTF-8') : '';
        if (!filter_var($url, FILTER_VALIDATE_URL) || !preg_match('#^https?://#i', $url)) {
            $json['error']['shim_url'] = $this->language->get('error_shim_url');
        }
        if (empty($post['payment_crypto_checkout_shop_token'])) {
            $json['error']['shop_token'] = $this->language->get('error_shop_token');
        }
        if (!isset($post['payment_crypto_checkout_secret']) || strlen(html_entity_decode((string) $post['payment_crypto_checkout_secret'], ENT_QUOTES, 'UTF-8')) < 16) {
            $json['error']['secret'] = $this->language->get('error_secret');
        }
        if (isset($json['error']) && !isset($json['error']['warning'])) {
            $json['error']['warning'] = $this->language->get('error_warning');
        }
        if (!$json) {
            $this->load->model('setting/setting');
            $this->model_setting_setting->editSetting('payment_crypto_checkout', $post);
            $json['success'] = $this->language->get('text_success');
        }
        $this->response->addHeader('Content-Type: application/json');
        $this->response->setOutput(json_encode($json));
    }

    /**
     * Called by OpenCart when the extension is installed.
     */
    public function install(): void
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
    private function underpaidStatus(): int
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
    public function uninstall(): void
    {
        $this->db->query("DROP TABLE IF EXISTS `" . DB_PREFIX . "crypto_checkout_nonce`");
    }

    /**
     * What separates a route from its method: "|" in 4.0.0-4.0.1, "." since 4.0.2.
     */
    private function separator(): string
    {
        return defined('VERSION') && version_compare(VERSION, '4.0.2.0', '<') ? '|' : '.';
    }
}
