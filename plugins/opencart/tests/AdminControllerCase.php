<?php
use PHPUnit\Framework\TestCase;

/**
 * What AdminOc3Test and AdminOc4Test do alike with their package's admin controller.
 */
abstract class AdminControllerCase extends TestCase
{
    /** Saved settings with a shop token. */
    const SAVED_TOKEN = ['payment_crypto_checkout_shop_token' => 'shk_saved_secret_token'];

    /** Good settings, posted with the token left empty. */
    const EMPTY_TOKEN = [
        'payment_crypto_checkout_shim_url' => 'https://pay.example',
        'payment_crypto_checkout_shop_token' => '',
        'payment_crypto_checkout_secret' => 'abababababababababababababababab',
    ];

    /** The package's version for OcStub: "3" or "4.0.2". */
    abstract protected function version();

    /**
     * The package's admin controller on a shop with these settings, and a request with this post
     * (a GET when empty); returns [controller, registry].
     */
    protected function admin(array $post = [], array $config = [])
    {
        StubOrderStatusModel::reset();
        $registry = OcStub::registry($this->version(), new OcState(['config' => $config]), 'admin', [], $post, ['REQUEST_METHOD' => $post ? 'POST' : 'GET']);
        $registry->get('session')->data['user_token'] = 't0k';
        $class = OcStub::controllerClass($this->version(), 'admin');

        return [new $class($registry), $registry];
    }

    /**
     * Opens the settings page of a shop whose token is saved: the token is nowhere in the page.
     */
    protected function assertTheSavedTokenIsNotShown()
    {
        list($controller, $registry) = $this->admin([], self::SAVED_TOKEN);
        $controller->index();
        list(, $data) = $registry->get('load')->views[0];
        $this->assertSame('', $data['payment_crypto_checkout_shop_token']);
        $this->assertStringNotContainsString('shk_saved_secret_token', json_encode($data));
    }
}
