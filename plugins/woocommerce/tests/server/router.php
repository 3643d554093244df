<?php
/**
 * A fake WooCommerce shop for the Rust tests: serves the plugin's REAL route for the shim
 * (`POST /?wc-api=crypto_checkout`, WooCommerce's API endpoint) on the stubs of wordpress.php,
 * whose options, orders and nonces live in a JSON state file.
 *
 *   WOO_STATE=/tmp/state.json php -S 127.0.0.1:8080 plugins/woocommerce/tests/server/router.php
 *
 * Any other address: 404 (a wc-api with no handler: 400 "-1", as WooCommerce answers). The state
 * file is read and written under an exclusive flock, and written before the answer is sent: once
 * a client has its answer, the file shows what the request did. Its format:
 *   {"options": {"crypto_checkout_shared_secret": "...", "woocommerce_crypto_checkout_settings": {...}},
 *    "orders": {"42": {"status": "pending", "total": "15.00", "currency": "USD",
 *                      "payment_method": "crypto_checkout", "needs_processing": true, "meta": {},
 *                      "notes": [], "transaction_id": "", "date_paid": null, "stock_reduced": false,
 *                      "mails": []}},
 *    "writes": [[42, "pending -> processing"]], "log": [], "down": 0}
 * (down: how many requests are still answered 503 before WordPress is reached).
 */

require __DIR__ . '/wordpress.php';

/**
 * Answers without WordPress (the server's own errors).
 */
function woo_test_reply( $status, $body ) {
	http_response_code( $status );
	echo $body;
}

$path = parse_url( isset( $_SERVER['REQUEST_URI'] ) ? $_SERVER['REQUEST_URI'] : '/', PHP_URL_PATH );
if ( ! in_array( $path, array( '/', '/index.php' ), true ) || empty( $_GET['wc-api'] ) ) {
	woo_test_reply( 404, '<html><body>Not found</body></html>' );
	return true;
}
$file = @fopen( (string) getenv( 'WOO_STATE' ), 'c+' );
if ( false === $file ) {
	woo_test_reply( 500, 'test server: cannot open WOO_STATE' );
	return true;
}
flock( $file, LOCK_EX );
$save = static function () use ( $file ) {
	ftruncate( $file, 0 );
	rewind( $file );
	fwrite( $file, json_encode( Wp_Test_State::$data, JSON_PRETTY_PRINT ) );
	flock( $file, LOCK_UN );
	fclose( $file );
};
Wp_Test_State::$data = json_decode( stream_get_contents( $file ), true );
if ( ! empty( Wp_Test_State::$data['down'] ) ) {
	// "The shop is down for N requests": PHP-FPM gone, a 503 from the web server.
	Wp_Test_State::$data['down']--;
	$save();
	woo_test_reply( 503, '<html><body>503 Service Unavailable</body></html>' );
	return true;
}

// WordPress loads the plugin, then WooCommerce's `plugins_loaded` runs its set-up.
class WC_Payment_Gateway {
}
require __DIR__ . '/../../crypto-checkout/crypto-checkout.php';
do_action( 'plugins_loaded' );

// LegacyRestApiStub::maybe_process_wc_api_query_var(): sanitize_key, 400 when no one handles it.
$api = strtolower( preg_replace( '/[^a-z0-9_\-]/', '', strtolower( (string) $_GET['wc-api'] ) ) );
ob_start();
http_response_code( has_action( 'woocommerce_api_' . $api ) ? 200 : 400 );
try {
	do_action( 'woocommerce_api_' . $api );
	ob_end_clean();
	echo '-1';
} catch ( Wp_Test_Exit $exit ) {
	ob_end_flush();
}
$save();
return true;
