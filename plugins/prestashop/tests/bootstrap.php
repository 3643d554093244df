<?php
require_once __DIR__ . '/../cryptocheckout/classes/CryptoCheckoutShim.php';
