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
		try {
			( new WC_Gateway_Crypto_Checkout() )->process_payment( 1001 );
			$this->fail( 'a refusal must be thrown: the block checkout drops notices' );
		} catch ( Exception $e ) {
			$this->assertStringContainsString( 'cannot be reached', $e->getMessage() );
		}
		$this->assertSame( '', Stubs::$orders[1001]->get_meta( WC_Gateway_Crypto_Checkout::INVOICE_META ) );
		$this->assertSame( 25, Stubs::$requests[0]['args']['timeout'], 'longer than the shim waits for the shop' );
	}

	public function test_a_refusal_is_logged_for_the_merchant_and_told_plainly_to_the_payer() {
		$this->shim_answers( 409, array( 'error' => array( 'code' => 'conflict', 'message' => 'order 1001 totals 20.00 EUR at the shop' ) ) );
		try {
			( new WC_Gateway_Crypto_Checkout() )->process_payment( 1001 );
			$this->fail( 'a refusal must be thrown' );
		} catch ( Exception $e ) {
			$this->assertStringContainsString( 'cannot be paid in crypto', $e->getMessage() );
		}
		$this->assertStringContainsString( 'totals 20.00 EUR', Stubs::$logged[0] );
		$this->assertStringNotContainsString( 'shk_secret', Stubs::$logged[0] );
		$this->assertSame( array(), Stubs::$notices, 'no notice: the Store API would drop it' );
	}

	public function test_a_crypto_order_on_hold_can_still_be_paid_on_the_order_page() {
		$crypto = new WC_Order( 5, '15', 'EUR', 'crypto_checkout' );
		$other  = new WC_Order( 6, '15', 'EUR', 'cheque' );
		$this->assertSame( array( 'pending', 'failed', 'on-hold' ), WC_Gateway_Crypto_Checkout::payable_statuses( array( 'pending', 'failed' ), $crypto ) );
		$this->assertSame( array( 'pending', 'failed' ), WC_Gateway_Crypto_Checkout::payable_statuses( array( 'pending', 'failed' ), $other ) );
		Stubs::$settings['underpaid_status'] = 'wc-crypto-short';
		$this->assertSame( 'crypto-short', WC_Gateway_Crypto_Checkout::underpaid_status() );
		$this->assertContains( 'crypto-short', WC_Gateway_Crypto_Checkout::completable_statuses( array( 'on-hold' ), $crypto ) );
		$this->assertSame( array( 'on-hold' ), WC_Gateway_Crypto_Checkout::completable_statuses( array( 'on-hold' ), $other ) );
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

	public function test_connecting_gives_the_shim_the_shops_route_and_secret() {
		$this->shim_answers( 200, array( 'connected' => true, 'plugin' => '0.2.0', 'platform' => 'WooCommerce 9.4.3' ) );
		$shim   = new Crypto_Checkout_Shim( 'https://pay.shop.example', 'shk_secret' );
		$answer = $shim->connect( 'http://shop.example', 'a-shared-secret-of-the-plugin' );
		$this->assertTrue( $answer['connected'] );
		$request = Stubs::$requests[0];
		$this->assertSame( 'https://pay.shop.example/v1/platforms/woocommerce/connect', $request['url'] );
		$this->assertSame( 'Bearer shk_secret', $request['args']['headers']['Authorization'] );
		$this->assertSame(
			array( 'site' => 'http://shop.example', 'secret' => 'a-shared-secret-of-the-plugin' ),
			json_decode( $request['args']['body'], true )
		);
		$this->shim_answers( 422, array( 'error' => array( 'code' => 'invalid_request', 'message' => 'the shim could not connect to the plugin at http://shop.example: HTTP 401 bad signature' ) ) );
		try {
			$shim->connect( 'http://shop.example', 'a-shared-secret-of-the-plugin' );
			$this->fail( 'a refusal must be thrown' );
		} catch ( Exception $e ) {
			$this->assertStringContainsString( 'could not connect to the plugin at http://shop.example', $e->getMessage() );
		}
		$this->shim_answers( 401, array( 'error' => array( 'code' => 'unauthorized', 'message' => 'unknown shop token' ) ) );
		$this->expectExceptionMessage( 'shop token' );
		$shim->connect( 'http://shop.example', 'a-shared-secret-of-the-plugin' );
	}

	public function test_the_route_refuses_what_the_shim_did_not_sign_freshly_once() {
		$secret = 'a-shared-secret-of-the-plugin';
		$body   = '{"action":"ping"}';
		$now    = 1700000000;
		$seen   = array();
		$store  = function ( $nonce, $expires ) use ( &$seen ) {
			$was            = isset( $seen[ $nonce ] );
			$seen[ $nonce ] = $expires;
			return $was;
		};
		$sign   = function ( $ts, $nonce, $body ) use ( $secret ) {
			return hash_hmac( 'sha256', $ts . '.' . $nonce . '.' . $body, $secret );
		};
		$nonce  = 'abcdefabcdefabcd';
		$good   = $sign( $now, $nonce, $body );
		$this->assertNull( Crypto_Checkout_Route::verify( $secret, (string) $now, $nonce, $good, $body, $now, $store ) );
		$this->assertSame( 'replayed request', Crypto_Checkout_Route::verify( $secret, (string) $now, $nonce, $good, $body, $now, $store ) );
		$other = 'bcdefabcdefabcda';
		$this->assertSame( 'bad signature', Crypto_Checkout_Route::verify( $secret, (string) $now, $other, $good, $body, $now, $store ) );
		$this->assertSame( 'bad signature', Crypto_Checkout_Route::verify( $secret, (string) $now, $other, $sign( $now, $other, '{"action":"order"}' ), $body, $now, $store ) );
		$this->assertStringContainsString( 'stale', Crypto_Checkout_Route::verify( $secret, (string) ( $now - 301 ), $other, $sign( $now - 301, $other, $body ), $body, $now, $store ) );
		$this->assertStringContainsString( 'no shared secret', Crypto_Checkout_Route::verify( '', (string) $now, $other, $sign( $now, $other, $body ), $body, $now, $store ) );
		$this->assertArrayNotHasKey( $other, $seen, 'refused calls leave no nonce behind' );
	}

	public function test_the_routes_updates_are_checked() {
		$update = array( 'step' => 'paid', 'invoice_id' => 'inv_1', 'invoice_status' => 'paid', 'key' => 'k', 'notes' => array( 'x' ) );
		$this->assertIsArray( Crypto_Checkout_Route::parse_update( $update ) );
		$this->assertStringContainsString( 'step must be', Crypto_Checkout_Route::parse_update( array( 'step' => 'ship' ) + $update ) );
		$this->assertStringContainsString( 'key', Crypto_Checkout_Route::parse_update( array( 'key' => '' ) + $update ) );
		$this->assertStringContainsString( 'notes', Crypto_Checkout_Route::parse_update( array( 'notes' => array( 1 ) ) + $update ) );
		list( $status, $body ) = Crypto_Checkout_Route::dispatch( array( 'action' => 'delete' ) );
		$this->assertSame( 400, $status );
		list( $status, $body ) = Crypto_Checkout_Route::dispatch( array( 'action' => 'order', 'order_id' => '7' ) );
		$this->assertSame( array( 400, array( 'error' => 'order_id must be a positive integer' ) ), array( $status, $body ) );
		list( $status, $body ) = Crypto_Checkout_Route::dispatch( array( 'action' => 'order', 'order_id' => 404 ) );
		$this->assertSame( 404, $status );
	}

	public function test_it_is_offered_only_once_configured() {
		$this->assertTrue( ( new WC_Gateway_Crypto_Checkout() )->is_available() );
		Stubs::$settings['shop_token'] = '';
		$this->assertFalse( ( new WC_Gateway_Crypto_Checkout() )->is_available() );
	}

	public function test_a_saved_shop_token_is_never_written_back_and_an_empty_field_keeps_it() {
		$gateway = new WC_Gateway_Crypto_Checkout();
		$html    = $gateway->generate_password_html( 'shop_token', array( 'title' => 'Shop token' ) );
		$this->assertStringNotContainsString( 'shk_secret', $html );
		$this->assertStringContainsString( 'Saved: leave empty to keep it', $html );
		$this->assertSame( 'shk_secret', $gateway->get_option( 'shop_token' ), 'still saved' );
		$this->assertSame( 'shk_secret', $gateway->validate_password_field( 'shop_token', '' ) );
		$this->assertSame( 'shk_new', $gateway->validate_password_field( 'shop_token', ' shk_new ' ) );
	}
}
