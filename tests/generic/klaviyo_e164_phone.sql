{# Rows whose phone is not E.164 as the phone rule (docs/value-rules.md) writes it: a plus, a non-zero
   country digit, 7 to 15 digits in all. #}
{% test klaviyo_e164_phone(model, column_name) %}
select {{ column_name }} as invalid_phone
from {{ model }}
where {{ column_name }} is not null
    and not {{ klaviyo__matches(column_name, '^\\+[1-9][0-9]{6,14}$') }}
{% endtest %}
