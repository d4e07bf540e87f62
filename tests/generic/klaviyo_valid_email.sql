{# Rows whose email Klaviyo would reject: not trimmed and lower-cased, or not a valid address. #}
{% test klaviyo_valid_email(model, column_name) %}
select {{ column_name }} as invalid_email
from {{ model }}
where {{ column_name }} is not null
    and (
        {{ column_name }} <> {{ klaviyo__normalize_email(column_name) }}
        or not {{ klaviyo__is_valid_email(column_name) }}
    )
{% endtest %}
