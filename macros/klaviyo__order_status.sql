{#
  Order lifecycle by status, one rule for every model. The statuses are vars so a shop whose OMS
  says "canceled" or "voided" maps them without forking the package:
    klaviyo__completed_statuses  orders that earned revenue (count toward RFM and predicted LTV)
    klaviyo__cancelled_statuses  orders cancelled or voided (a Cancelled Order event)
    klaviyo__refunded_statuses   orders refunded (a Refunded Order event)
  Klaviyo's ecommerce events for these: https://developers.klaviyo.com/en/docs/guide_to_integrating_a_platform_without_a_pre_built_klaviyo_integration
#}
{% macro klaviyo__status_in(expr, var_name) -%}
  {%- set statuses = var(var_name) -%}
  {%- if statuses is string or statuses is not iterable or statuses | length == 0 -%}
    {{ exceptions.raise_compiler_error("klaviyo__status_in: var " ~ var_name ~ " must be a non-empty list of statuses, got " ~ statuses) }}
  {%- endif -%}
  coalesce(lower(trim({{ expr }})) in ({%- for s in statuses %}'{{ s | lower | replace("'", "''") }}'{{ ", " if not loop.last }}{% endfor -%}), false)
{%- endmacro %}
