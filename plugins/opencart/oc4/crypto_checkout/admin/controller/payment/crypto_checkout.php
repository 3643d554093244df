<?php
/**
 * Crypto Checkout for OpenCart 4.0 and 4.1: the settings page (Extensions > Payments), saved by
 * ajax, and the nonce table created on install and dropped on uninstall. What they do is
 * CryptoCheckoutAdmin's (the extension's library); this is OpenCart 4's side.
 */
namespace Opencart\Admin\Controller\Extension\CryptoCheckout\Payment;

if (!class_exists('CryptoCheckoutCore', false)) {
    require_once DIR_EXTENSION . 'crypto_checkout/system/library/crypto_checkout/core.php';
}

class CryptoCheckout extends \Opencart\System\Engine\Controller
{
    use \CryptoCheckoutAdmin;

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
        $data['save'] = $this->url->link($this->action('save'), $token);
        $data['back'] = $this->url->link('marketplace/extension', $token . '&type=payment');
        // What the form shows: what is saved, else the default.
        $this->settingsPage($data);
    }

    /**
     * Posted by the settings form: {"success": ...} or {"error": {field: message}}.
     */
    public function save(): void
    {
        $this->load->language(self::ROUTE);
        $json = [];
        $post = $this->postedSettings();
        $errors = $this->settingsErrors($post);
        if ($errors) {
            $json['error'] = $errors;
        } else {
            $this->load->model('setting/setting');
            $this->model_setting_setting->editSetting('payment_crypto_checkout', $post);
            $json['success'] = $this->language->get('text_success');
        }
        $this->response->addHeader('Content-Type: application/json');
        $this->response->setOutput(json_encode($json));
    }

    /**
     * "|" between a route and its method in 4.0.0-4.0.1, "." since 4.0.2.
     */
    protected function action($method)
    {
        return self::ROUTE . (defined('VERSION') && version_compare(VERSION, '4.0.2.0', '<') ? '|' : '.') . $method;
    }
}
