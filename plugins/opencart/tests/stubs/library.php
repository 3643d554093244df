<?php
// The extension's library as each package has it in system/library/crypto_checkout/ (core.php,
// catalog.php, admin.php and shim_client.php, copied there by packaging), from its sources: the
// shim client of plugins/php-common, and core/. Loaded first, it stands in for core.php's own
// requires of the files beside it.
require_once dirname(__DIR__, 3) . '/php-common/CryptoCheckoutShimClient.php';
require_once dirname(__DIR__, 2) . '/core/CryptoCheckoutCatalog.php';
require_once dirname(__DIR__, 2) . '/core/CryptoCheckoutAdmin.php';
require_once dirname(__DIR__, 2) . '/core/CryptoCheckoutCore.php';
