<?php
// WooCommerce's own OAuth 1.0a check (WC_REST_Authentication::check_oauth_signature, with
// join_with_equals_sign, normalize_parameters and wc_rest_urlencode_rfc3986), transcribed to run
// alone. Reads {"method", "url", "secret", "params": {..}} on stdin; prints the string to sign and
// the expected signature, one per line.
function wc_rest_urlencode_rfc3986($value) {
    if (is_array($value)) { return array_map('wc_rest_urlencode_rfc3986', $value); }
    return str_replace(array('+', '%7E'), array(' ', '~'), rawurlencode($value));
}
function join_with_equals_sign($params, $query_params = array(), $key = '') {
    foreach ($params as $param_key => $param_value) {
        if ($key) { $param_key = $key . '%5B' . $param_key . '%5D'; }
        if (is_array($param_value)) {
            $query_params = join_with_equals_sign($param_value, $query_params, $param_key);
        } else {
            $string = $param_key . '=' . $param_value;
            $query_params[] = wc_rest_urlencode_rfc3986($string);
        }
    }
    return $query_params;
}
function normalize_parameters($parameters) {
    $keys = wc_rest_urlencode_rfc3986(array_keys($parameters));
    $values = wc_rest_urlencode_rfc3986(array_values($parameters));
    return array_combine($keys, $values);
}
$input = json_decode(stream_get_contents(STDIN), true);
$params = $input['params'];
unset($params['oauth_signature']);
uksort($params, 'strcmp');
$params = normalize_parameters($params);
$query_string = implode('%26', join_with_equals_sign($params));
$string_to_sign = strtoupper($input['method']) . '&' . rawurlencode($input['url']) . '&' . $query_string;
echo $string_to_sign, "\n";
echo base64_encode(hash_hmac('sha256', $string_to_sign, $input['secret'] . '&', true)), "\n";
