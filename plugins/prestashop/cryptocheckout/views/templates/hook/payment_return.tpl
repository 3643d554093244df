<p>{l s='Thank you. Your crypto payment is confirmed; your order will be prepared.' mod='cryptocheckout'}</p>
