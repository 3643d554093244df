<?php
use PHPUnit\Framework\TestCase;

final class GatewayTest extends TestCase {

	protected function setUp(): void {
		Stubs::reset();
		Stubs::$settings = array(
			'enabled'    => 'yes',
			'shim_url'   => 'https://pay.shop.example/',
			'shop_token' => 'shk_secret',
			'display'    => 'embedded',
		);
		Stubs::$orders[1001] = new WC_Order( 1001, '15', 'EUR' );
	}

	private function shim_answers( $code, $body ) {
		Stubs::$response = array(
			'response' => array( 'code' => $code ),
			'body'     => json_encode( $body ),
		);
	}

	public function test_checkout_creates_the_invoice_and_sends_the_payer_to_the_order_page() {
		$this->shim_answers( 201, array( 'id' => 'inv_0a1b', 'pay_url' => 'https://pay.shop.example/pay/inv_0a1b' ) );
		$result = ( new WC_Gateway_Crypto_Checkout() )->process_payment( 1001 );

		$this->assertSame( 'success', $result['result'] );
		$this->assertSame( 'https://shop.example/checkout/order-pay/1001/?key=wc_order_abc', $result['redirect'] );
		$this->assertCount( 1, Stubs::$requests );
		$request = Stubs::$requests[0];
		$this->assertSame( 'https://pay.shop.example/v1/invoices', $request['url'] );
		$this->assertSame( 'Bearer shk_secret', $request['args']['headers']['Authorization'] );
		$this->assertSame(
			array(
				'order_id'           => '1001',
				'amount'             => '15.00',
				'currency'           => 'EUR',
				'platform_order_ref' => '1001',
				'url_return'         => 'https://shop.example/cart/',
				'url_success'        => 'https://shop.example/checkout/order-received/1001/',
			),
			json_decode( $request['args']['body'], true )
		);
		$order = Stubs::$orders[1001];
		$this->assertSame( 'inv_0a1b', $order->get_meta( WC_Gateway_Crypto_Checkout::INVOICE_META ) );
		$this->assertSame( 1, $order->saved );
	}

	public function test_the_hosted_pay_page_can_be_chosen() {
		Stubs::$settings['display'] = 'hosted';
		$this->shim_answers( 200, array( 'id' => 'inv_0a1b', 'pay_url' => 'https://pay.shop.example/pay/inv_0a1b' ) );
		$result = ( new WC_Gateway_Crypto_Checkout() )->process_payment( 1001 );
		$this->assertSame( 'https://pay.shop.example/pay/inv_0a1b', $result['redirect'] );
	}

	public function test_an_unreachable_shim_is_said_and_nothing_is_stored() {
		Stubs::$response = new WP_Error( 'http_request_failed', 'cURL error 7' );
		$result          = ( new WC_Gateway_Crypto_Checkout() )->process_payment( 1001 );
		$this->assertSame( 'failure', $result['result'] );
		$this->assertStringContainsString( 'cannot be reached', Stubs::$notices[0][1] );
		$this->assertSame( 'error', Stubs::$notices[0][0] );
		$this->assertSame( '', Stubs::$orders[1001]->get_meta( WC_Gateway_Crypto_Checkout::INVOICE_META ) );
	}

	public function test_a_refusal_is_logged_for_the_merchant_and_told_plainly_to_the_payer() {
		$this->shim_answers( 409, array( 'error' => array( 'code' => 'conflict', 'message' => 'order 1001 totals 20.00 EUR at the shop' ) ) );
		$result = ( new WC_Gateway_Crypto_Checkout() )->process_payment( 1001 );
		$this->assertSame( 'failure', $result['result'] );
		$this->assertStringContainsString( 'cannot be paid in crypto', Stubs::$notices[0][1] );
		$this->assertStringContainsString( 'totals 20.00 EUR', Stubs::$logged[0] );
		$this->assertStringNotContainsString( 'shk_secret', Stubs::$logged[0] );
	}

	public function test_the_order_page_mounts_the_widget_from_the_shim() {
		Stubs::$orders[1001]->update_meta_data( WC_Gateway_Crypto_Checkout::INVOICE_META, 'inv_0a1b' );
		ob_start();
		( new WC_Gateway_Crypto_Checkout() )->receipt_page( 1001 );
		$html = ob_get_clean();
		$this->assertStringContainsString( 'src="https://pay.shop.example/widget/embed.js"', $html );
		$this->assertStringContainsString( 'data-invoice="inv_0a1b"', $html );
		$this->assertStringContainsString( 'data-api-base="https://pay.shop.example"', $html );
		$this->assertStringContainsString( 'data-locale="pt-BR"', $html );

		Stubs::$orders[7] = new WC_Order( 7, '1', 'EUR' );
		ob_start();
		( new WC_Gateway_Crypto_Checkout() )->receipt_page( 7 );
		$this->assertStringContainsString( 'no crypto invoice yet', ob_get_clean() );
	}

	public function test_connecting_asks_the_shim_for_the_shops_authorize_url() {
		$this->shim_answers( 200, array( 'authorize_url' => 'https://shop.example/wc-auth/v1/authorize?user_id=abc', 'expires_in' => 900 ) );
		$shim = new Crypto_Checkout_Shim( 'https://pay.shop.example', 'shk_secret' );
		$url  = $shim->connect_url( 'https://shop.example', 'https://shop.example/wp-admin/settings' );
		$this->assertSame( 'https://shop.example/wc-auth/v1/authorize?user_id=abc', $url );
		$request = Stubs::$requests[0];
		$this->assertSame( 'https://pay.shop.example/v1/platforms/woocommerce/connect', $request['url'] );
		$this->assertSame(
			array( 'site' => 'https://shop.example', 'return_url' => 'https://shop.example/wp-admin/settings' ),
			json_decode( $request['args']['body'], true )
		);
		$this->shim_answers( 401, array( 'error' => array( 'code' => 'unauthorized', 'message' => 'unknown shop token' ) ) );
		$this->expectExceptionMessage( 'shop token' );
		$shim->connect_url( 'https://shop.example', 'https://shop.example/wp-admin/settings' );
	}

	public function test_it_is_offered_only_once_configured() {
		$this->assertTrue( ( new WC_Gateway_Crypto_Checkout() )->is_available() );
		Stubs::$settings['shop_token'] = '';
		$this->assertFalse( ( new WC_Gateway_Crypto_Checkout() )->is_available() );
	}
}
