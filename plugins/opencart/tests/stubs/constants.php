<?php
// OpenCart's constants, pointing at tests/fixtures, where the extension's library sits at the paths
// the packages require it from (packaging copies core/ and plugins/php-common there in each zip).
define('DB_PREFIX', 'oc_');
define('DIR_SYSTEM', dirname(__DIR__) . '/fixtures/oc3/system/');
define('DIR_EXTENSION', dirname(__DIR__) . '/fixtures/oc4/extension/');
define('HTTP_CATALOG', 'https://shop.example/');
define('HTTPS_CATALOG', 'https://shop.example/');
