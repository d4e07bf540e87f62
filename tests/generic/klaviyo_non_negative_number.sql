{# Klaviyo event values must be numbers; an order's value is never negative. #}
{% test klaviyo_non_negative_number(model, column_name) %}
select {{ column_name }} as bad_value
from {{ model }}
where {{ column_name }} is null or {{ column_name }} < 0
{% endtest %}
