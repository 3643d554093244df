<?php
use PHPUnit\Framework\TestCase;

/**
 * The catalog controller's behaviour, the same in both packages: Oc3CatalogTest and Oc4CatalogTest
 * run these tests against each.
 */
abstract class CatalogControllerCase extends TestCase
{
    /** @var OcState */
    protected $state;

    /** @var array What the shim was sent: [url, headers, body] */
    protected $sent = [];

    /** The package's version for OcStub: "3" or "4.0.2". */
    abstract protected function version();

    /** A test subclass of the package's catalog controller. */
    abstract protected function controller($registry);

    /** session->data['payment_method'] once the payer chose this extension. */
    abstract protected function chosenPaymentMethod();

    /** The shop's pay page for an invoice. */
    abstract protected function payPage($invoiceId);

    protected function setUp(): void
    {
        $this->state = new OcState([
            'config' => [
                'payment_crypto_checkout_secret' => Shim::SECRET,
                'payment_crypto_checkout_shim_url' => 'https://pay.example/',
                'payment_crypto_checkout_shop_token' => 'shk_secret',
            ],
            'orders' => [
                '42' => ['order_id' => 42, 'order_status_id' => 1, 'total' => '15.0000', 'currency_code' => 'EUR', 'currency_value' => '0.78000000'],
            ],
        ]);
    }

    /**
     * Runs an action; returns [response, controller, registry].
     */
    protected function request($action, $body = '', array $server = [], array $session = [], array $get = [])
    {
        $registry = OcStub::registry($this->version(), $this->state, 'catalog', $get, [], $server);
        $registry->get('session')->data = $session;
        $controller = $this->controller($registry);
        $controller->body = $body;
        $controller->transport = function ($url, $headers, $payload) {
            $this->sent[] = [$url, $headers, json_decode($payload, true)];

            return [201, json_encode(['id' => 'inv_0123456789abcdef0123456789abcdef', 'pay_url' => 'https://pay.example/pay/inv_0123456789abcdef0123456789abcdef'])];
        };
        $controller->$action();

        return [$registry->get('response'), $controller, $registry];
    }

    /** A request the shim signed. */
    protected function shim($action, $body)
    {
        return $this->request($action, $body, Shim::signed($body))[0];
    }

    public function testTheOrderRouteTellsStatusTotalAndCurrency()
    {
        $response = $this->shim('order', '{"order_id":42}');
        $this->assertSame(200, $response->status());
        $this->assertContains('Content-Type: application/json', $response->headers);
        $this->assertSame('{"order_id":42,"order_status_id":1,"underpaid_status_id":0,"total":"11.70","currency":"EUR"}', $response->getOutput());
        $this->assertCount(1, $this->state->data['nonces'], 'the nonce is recorded');
    }

    public function testARequestNotFromTheShimChangesNothing()
    {
        $before = $this->state->encode();
        $body = '{"order_id":42,"order_status_id":15,"comment":"paid","notify":true}';
        $response = $this->request('callback', $body, Shim::signed($body, 'not-the-secret'))[0];
        $this->assertSame(401, $response->status());
        $this->assertSame(['error' => 'bad signature'], $response->json());
        $this->assertSame($before, $this->state->encode(), 'no history, no nonce');

        $response = $this->request('callback', $body, ['REQUEST_METHOD' => 'POST'])[0];
        $this->assertSame(401, $response->status());
        $this->assertSame($before, $this->state->encode());
    }

    public function testAReplayedCallbackIsRefused()
    {
        $body = '{"order_id":42,"order_status_id":2,"comment":"confirming"}';
        $server = Shim::signed($body);
        $this->assertSame(200, $this->request('callback', $body, $server)[0]->status());
        $response = $this->request('callback', $body, $server)[0];
        $this->assertSame(401, $response->status());
        $this->assertSame(['error' => 'replayed request'], $response->json());
        $this->assertCount(1, $this->state->history(42));
    }

    public function testUnknownOrdersAndBadBodies()
    {
        $response = $this->shim('order', '{"order_id":99}');
        $this->assertSame(404, $response->status());
        $this->assertSame(['error' => 'no such order'], $response->json());
        $this->assertSame(404, $this->shim('callback', '{"order_id":99,"order_status_id":15}')->status());
        $this->assertSame(400, $this->shim('order', 'order 42')->status());
        $this->assertSame(400, $this->shim('callback', '{"order_id":42}')->status());
        $response = $this->request('order', '', ['REQUEST_METHOD' => 'GET'])[0];
        $this->assertSame(405, $response->status());
    }

    public function testACallbackMovesTheOrderForwardOnce()
    {
        $paid = '{"order_id":42,"order_status_id":15,"comment":"Paid <b>0.01 BTC</b>","notify":true}';
        $response = $this->shim('callback', $paid);
        $this->assertSame(['applied' => true, 'order_status_id' => 15], $response->json());
        $this->assertSame([['order_status_id' => 15, 'comment' => 'Paid <b>0.01 BTC</b>', 'notify' => true]], $this->state->history(42));

        // The same again, and a late "expired": nothing is added.
        $this->assertSame(['applied' => false, 'order_status_id' => 15], $this->shim('callback', $paid)->json());
        $this->assertSame(['applied' => false, 'order_status_id' => 15], $this->shim('callback', '{"order_id":42,"order_status_id":14,"comment":"expired","notify":false}')->json());
        $this->assertCount(1, $this->state->history(42));
    }

    public function testACommentKeepsTheStatus()
    {
        $response = $this->shim('callback', '{"order_id":42,"order_status_id":0,"comment":"Overpaid by 1.00 EUR","notify":true}');
        $this->assertSame(['applied' => true, 'order_status_id' => 1], $response->json());
        $this->assertSame([['order_status_id' => 1, 'comment' => 'Overpaid by 1.00 EUR', 'notify' => false]], $this->state->history(42));
    }

    public function testConfirmCreatesTheInvoiceAndSendsThePayerToThePayPage()
    {
        $this->state->data['orders'][42]['order_status_id'] = 0; // as OpenCart leaves a new order
        $session = ['order_id' => 42, 'payment_method' => $this->chosenPaymentMethod()];
        $response = $this->request('confirm', '', ['REQUEST_METHOD' => 'POST'], $session)[0];

        $this->assertSame(['redirect' => $this->payPage('inv_0123456789abcdef0123456789abcdef')], $response->json());
        list($url, $headers, $body) = $this->sent[0];
        $this->assertSame('https://pay.example/v1/invoices', $url);
        $this->assertContains('Authorization: Bearer shk_secret', $headers);
        $this->assertSame(['oc-42', '11.70', 'EUR', '42'], [$body['order_id'], $body['amount'], $body['currency'], $body['platform_order_ref']]);
        $this->assertStringContainsString('route=checkout/success', $body['url_success']);
        $this->assertStringNotContainsString('&amp;', $body['url_success'] . $body['url_return']);
        $this->assertSame([['order_status_id' => 1, 'comment' => 'Awaiting crypto payment (invoice inv_0123456789abcdef0123456789abcdef)', 'notify' => false]], $this->state->history(42));

        // Hosted: to the shim's pay page. The order already has its status: no second entry.
        $this->state->data['config']['payment_crypto_checkout_hosted'] = '1';
        $response = $this->request('confirm', '', ['REQUEST_METHOD' => 'POST'], $session)[0];
        $this->assertSame(['redirect' => 'https://pay.example/pay/inv_0123456789abcdef0123456789abcdef'], $response->json());
        $this->assertCount(1, $this->state->history(42));
    }

    public function testConfirmSaysWhatWentWrongWithoutTheToken()
    {
        $this->state->data['orders'][42]['order_status_id'] = 0;
        $registry = OcStub::registry($this->version(), $this->state, 'catalog', [], [], ['REQUEST_METHOD' => 'POST']);
        $registry->get('session')->data = ['order_id' => 42, 'payment_method' => $this->chosenPaymentMethod()];
        $controller = $this->controller($registry);
        $controller->transport = function () {
            return [401, '{"error":{"code":"unauthorized","message":"unknown token shk_secret"}}'];
        };
        $controller->confirm();
        $json = $registry->get('response')->json();
        $this->assertStringContainsString('cannot be paid in crypto', $json['error']);
        $this->assertStringNotContainsString('shk_secret', $registry->get('response')->getOutput());
        $this->assertSame([], $this->state->history(42));

        // Another payment method chosen: no invoice.
        $response = $this->request('confirm', '', ['REQUEST_METHOD' => 'POST'], ['order_id' => 42, 'payment_method' => ['code' => 'cod']])[0];
        $this->assertArrayHasKey('error', $response->json());
        $this->assertSame([], $this->sent);
    }

    public function testThePayPageShowsOnlyAnInvoiceId()
    {
        list(, , $registry) = $this->request('pay', '', [], [], ['invoice_id' => 'inv_0123456789abcdef0123456789abcdef']);
        $data = $registry->get('load')->views[0][1];
        $this->assertSame('inv_0123456789abcdef0123456789abcdef', $data['invoice_id']);
        $this->assertSame('https://pay.example', $data['shim_url']);

        list(, , $registry) = $this->request('pay', '', [], [], ['invoice_id' => '"><script>alert(1)</script>']);
        $this->assertSame('', $registry->get('load')->views[0][1]['invoice_id']);
    }

    public function testThePaymentMethodIsOfferedOnceSetUp()
    {
        $registry = OcStub::registry($this->version(), $this->state, 'catalog');
        $registry->get('load')->model(OcStub::route($this->version()));
        $model = $registry->get('model_' . str_replace('/', '_', OcStub::route($this->version())));
        $method = $this->version() === '3' ? $model->getMethod([], 10) : $model->getMethods([]);
        $this->assertSame('crypto_checkout', $method['code']);
        $this->assertNotEmpty($method[$this->version() === '3' ? 'title' : 'name']);

        unset($this->state->data['config']['payment_crypto_checkout_secret']);
        $registry = OcStub::registry($this->version(), $this->state, 'catalog');
        $registry->get('load')->model(OcStub::route($this->version()));
        $model = $registry->get('model_' . str_replace('/', '_', OcStub::route($this->version())));
        $this->assertSame([], $this->version() === '3' ? $model->getMethod([], 10) : $model->getMethods([]));
    }
}
