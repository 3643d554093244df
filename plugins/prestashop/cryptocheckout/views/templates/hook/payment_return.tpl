{if $crypto_state == 'paid'}
  <p>{l s='Thank you. Your crypto payment is confirmed; your order %s will be prepared.' sprintf=[$crypto_reference] mod='cryptocheckout'}</p>
{elseif $crypto_state == 'on_hold' && $crypto_underpaid}
  <p>{l s='Your crypto payment for order %s arrived short of the total. We will contact you to settle it.' sprintf=[$crypto_reference] mod='cryptocheckout'}</p>
{elseif $crypto_state == 'on_hold'}
  <p>{l s='Your crypto payment for order %s has arrived and is being confirmed, or part of it has: if you still owe the rest, send it from the payment page.' sprintf=[$crypto_reference] mod='cryptocheckout'}</p>
  <p><a class="btn btn-primary" href="{$crypto_pay_url|escape:'html':'UTF-8'}">{l s='Open the payment page' mod='cryptocheckout'}</a></p>
{elseif $crypto_state == 'awaiting'}
  <p>{l s='Your order %s is waiting for your crypto payment.' sprintf=[$crypto_reference] mod='cryptocheckout'}</p>
  <p><a class="btn btn-primary" href="{$crypto_pay_url|escape:'html':'UTF-8'}">{l s='Pay now' mod='cryptocheckout'}</a></p>
{elseif $crypto_state == 'cancelled'}
  <p>{l s='The crypto payment for order %s expired before it arrived, and the order was cancelled.' sprintf=[$crypto_reference] mod='cryptocheckout'}</p>
{elseif $crypto_state == 'refunded'}
  <p>{l s='The crypto payment for order %s was refunded.' sprintf=[$crypto_reference] mod='cryptocheckout'}</p>
{else}
  <p>{l s='The crypto payment for order %s did not go through. Please contact us.' sprintf=[$crypto_reference] mod='cryptocheckout'}</p>
{/if}
