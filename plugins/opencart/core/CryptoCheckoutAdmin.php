<?php
/**
 * Crypto Checkout for OpenCart: what the admin controller of both packages does (packaging copies
 * this file to system/library/crypto_checkout/admin.php; core.php loads it). Each package's
 * controller uses this trait and adapts it to its OpenCart version: its class and ROUTE, how a route
 * names its methods, and the settings page (3.0 posts the form to index(), 4.x saves it by ajax).
 *
 *   install    the extension's "Crypto underpaid" order status and the nonce table
 *   uninstall  drops the nonce table (OpenCart deletes the settings itself)
 *
 * PHP 7.4+ and 8.
 */
trait CryptoCheckoutAdmin
{
    /**
     * This controller's route with one of its methods ("/", "|" or "." between them, as the
     * OpenCart version wants).
     *
     * @return string
     */
    abstract protected function action($method);

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
     * Called by OpenCart when the extension is uninstalled (it deletes the settings itself).
     */
    public function uninstall()
    {
        $this->db->query("DROP TABLE IF EXISTS `" . DB_PREFIX . "crypto_checkout_nonce`");
    }

    /**
     * Renders the settings page: $data (the version's breadcrumbs, links and errors) with each
     * setting (what was posted, else what is saved, else its default; a saved token never), the
     * order status fields, and the two addresses to give the shim.
     *
     * @param array $data What the version's page has of its own
     * @param array $posted Settings posted and refused, shown again (3.0)
     */
    private function settingsPage(array $data, array $posted = [])
    {
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
            if (isset($posted[$key])) {
                $data[$key] = $posted[$key];
            } else {
                $data[$key] = ($saved !== null && $saved !== '') ? $saved : $default;
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
                'id' => 'input-status-' . str_replace('_', '-', $name),
                'label' => $this->language->get('entry_status_' . $name),
                'value' => $data['payment_crypto_checkout_status_' . $name],
            ];
        }
        $this->load->model('localisation/order_status');
        $data['order_statuses'] = $this->model_localisation_order_status->getOrderStatuses();

        // The two routes to give the shim (4.x has no HTTPS_CATALOG).
        $catalog = defined('HTTPS_CATALOG') ? HTTPS_CATALOG : (defined('HTTP_CATALOG') ? HTTP_CATALOG : '');
        $data['order_url'] = $catalog . 'index.php?route=' . $this->action('order');
        $data['callback_url'] = $catalog . 'index.php?route=' . $this->action('callback');

        $data['header'] = $this->load->controller('common/header');
        $data['column_left'] = $this->load->controller('common/column_left');
        $data['footer'] = $this->load->controller('common/footer');
        $this->response->setOutput($this->load->view(self::ROUTE, $data));
    }

    /**
     * The posted settings as they are to be saved: a token left empty keeps the saved one.
     *
     * @return array
     */
    private function postedSettings()
    {
        return CryptoCheckoutCore::withKeptSecrets($this->request->post, function ($key) {
            return $this->config->get($key);
        });
    }

    /**
     * What is wrong with settings to be saved (field => message; warning: for the whole form), or
     * nothing.
     *
     * @return array
     */
    private function settingsErrors(array $post)
    {
        $errors = [];
        if (!$this->user->hasPermission('modify', self::ROUTE)) {
            $errors['warning'] = $this->language->get('error_permission');
        }
        $url = isset($post['payment_crypto_checkout_shim_url']) ? html_entity_decode((string) $post['payment_crypto_checkout_shim_url'], ENT_QUOTES, 'UTF-8') : '';
        if (!filter_var($url, FILTER_VALIDATE_URL) || !preg_match('#^https?://#i', $url)) {
            $errors['shim_url'] = $this->language->get('error_shim_url');
        }
        if (empty($post['payment_crypto_checkout_shop_token'])) {
            $errors['shop_token'] = $this->language->get('error_shop_token');
        }
        if (!isset($post['payment_crypto_checkout_secret']) || strlen(html_entity_decode((string) $post['payment_crypto_checkout_secret'], ENT_QUOTES, 'UTF-8')) < 16) {
            $errors['secret'] = $this->language->get('error_secret');
        }
        if ($errors && !isset($errors['warning'])) {
            $errors['warning'] = $this->language->get('error_warning');
        }

        return $errors;
    }

    /**
     * The extension's own "Crypto underpaid" order status (made through OpenCart's own
     * localisation model when missing): payments that close short get it, not one that says
     * "ship it".
     *
     * @return int
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
}
