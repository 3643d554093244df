<?php
// What the PHPUnit bootstrap (bootstrap.php) and the test server (server/wordpress.php) both load:
// the shim client's source (packaging puts a copy in the plugin's includes/, where the plugin loads
// it from when the class is not there yet), and the pure functions of WordPress and WooCommerce
// that the plugin calls.

require_once __DIR__ . '/../../php-common/CryptoCheckoutShimClient.php';

function __( $text, $domain = 'default' ) {
	return $text;
}
function esc_html__( $text, $domain = 'default' ) {
	return htmlspecialchars( $text, ENT_QUOTES );
}
function esc_html( $text ) {
	return htmlspecialchars( (string) $text, ENT_QUOTES );
}
function esc_attr( $text ) {
	return htmlspecialchars( (string) $text, ENT_QUOTES );
}
function esc_url( $url ) {
	return htmlspecialchars( (string) $url, ENT_QUOTES );
}
function untrailingslashit( $text ) {
	return rtrim( $text, '/\\' );
}
function wp_json_encode( $data ) {
	return json_encode( $data );
}
function wc_format_decimal( $number, $dp = false ) {
	return number_format( (float) $number, (int) $dp, '.', '' );
}
function wc_get_price_decimals() {
	return 2;
}
