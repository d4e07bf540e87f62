{#
  The moment the package measures time from: recency and predicted LTV count days up to it, and an
  order dated after it (beyond klaviyo__future_tolerance_hours) is rejected as a typo rather than
  shipped. It is the run's time, unless the project pins var klaviyo__rfm_as_of (a reproducible
  demo or backtest). Never the latest order in the data: one order typed in 2062 would make every
  real customer look years inactive.
  current_timestamp_in_utc_backcompat gives a timezone-less UTC timestamp on every adapter
  (https://docs.getdbt.com/reference/dbt-jinja-functions/cross-database-macros#current_timestamp).
#}
{% macro klaviyo__as_of() -%}
  {%- set pinned = var('klaviyo__rfm_as_of', none) -%}
  {%- if pinned -%}
    cast('{{ pinned }}' as timestamp)
  {%- else -%}
    {{ dbt.current_timestamp_in_utc_backcompat() }}
  {%- endif -%}
{%- endmacro %}

{# The latest believable timestamp: the reference moment plus the tolerance for clock skew and time zones. #}
{% macro klaviyo__future_cutoff() -%}
  {%- set hours = var('klaviyo__future_tolerance_hours', 24) -%}
  {%- if hours is not number or hours < 0 -%}
    {{ exceptions.raise_compiler_error("klaviyo__future_cutoff: var klaviyo__future_tolerance_hours must be a number of hours >= 0, got " ~ hours) }}
  {%- endif -%}
  {{ dbt.dateadd('hour', hours, klaviyo__as_of()) }}
{%- endmacro %}
