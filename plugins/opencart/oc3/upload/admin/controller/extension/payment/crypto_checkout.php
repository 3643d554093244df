<?php
/**
 * Crypto Checkout for OpenCart 3.0: the settings page (Extensions > Payments), and the nonce table
 * created on install and dropped on uninstall. What they do is CryptoCheckoutAdmin's (the
 * extension's library); this is OpenCart 3.0's side: the form is posted to index().
 */
if (!class_exists('CryptoCheckoutCore', false)) {
    require_once DIR_SYSTEM . 'library/crypto_checkout/core.php';
}

class ControllerExtensionPaymentCryptoCheckout extends Controller
{
    use CryptoCheckoutAdmin;

    const ROUTE = 'extension/payment/crypto_checkout';

    public function index()
    {
        $this->load->language(self::ROUTE);
        $this->document->setTitle($this->language->get('heading_title'));
        $token = 'user_token=' . $this->session->data['user_token'];

        $posted = [];
        $errors = [];
        if ($this->request->server['REQUEST_METHOD'] == 'POST') {
            $posted = $this->postedSettings();
            $errors = $this->settingsErrors($posted);
            if (!$errors) {
                $this->load->model('setting/setting');
                $this->model_setting_setting->editSetting('payment_crypto_checkout', $posted);
                $this->session->data['success'] = $this->language->get('text_success');
                $this->response->redirect($this->url->link('marketplace/extension', $token . '&type=payment', true));
            }
        }

        $data['breadcrumbs'] = [
            ['text' => $this->language->get('text_home'), 'href' => $this->url->link('common/dashboard', $token, true)],
            ['text' => $this->language->get('text_extension'), 'href' => $this->url->link('marketplace/extension', $token . '&type=payment', true)],
            ['text' => $this->language->get('heading_title'), 'href' => $this->url->link(self::ROUTE, $token, true)],
        ];
        $data['action'] = $this->url->link(self::ROUTE, $token, true);
        $data['cancel'] = $this->url->link('marketplace/extension', $token . '&type=payment', true);
        foreach (['warning', 'shim_url', 'shop_token', 'secret'] as $field) {
            $data['error_' . $field] = isset($errors[$field]) ? $errors[$field] : '';
        }
        // What the form shows: what was just posted, else what is saved, else the default.
        $this->settingsPage($data, $posted);
    }

    protected function action($method)
    {
        return self::ROUTE . '/' . $method;
    }
}
