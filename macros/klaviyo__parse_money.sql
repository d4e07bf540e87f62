{#
  Reads a money amount stored as text by an OMS export ("$1,204.50", " 28.00 ", "1204.5") into a
  decimal. Rules: trim; drop one leading currency symbol or ISO code; drop thousands commas
  (the demo's exports use US formatting); anything left that is not a plain decimal becomes null,
  and the models report that row instead of guessing a value (Klaviyo event `value` must be a
  number: https://developers.klaviyo.com/en/reference/create_event).
#}
{% macro klaviyo__parse_money(expr) -%}
  {{ return(adapter.dispatch('klaviyo__parse_money', 'klaviyo_runner')(expr)) }}
{%- endmacro %}

{% macro default__klaviyo__parse_money(expr) -%}
  cast(nullif(regexp_replace(regexp_replace(trim(cast({{ expr }} as varchar)), '^(\$|£|€|USD|GBP|EUR|CAD)\s*', ''), ',', '', 'g'), '') as decimal(18, 2))
{%- endmacro %}

{# DuckDB: try_cast, so a non-number is null instead of an error that stops the build. #}
{% macro duckdb__klaviyo__parse_money(expr) -%}
  try_cast(nullif(regexp_replace(regexp_replace(trim(cast({{ expr }} as varchar)), '^(\$|£|€|USD|GBP|EUR|CAD)\s*', ''), ',', '', 'g'), '') as decimal(18, 2))
{%- endmacro %}

{# Snowflake: try_to_decimal is the non-failing cast (https://docs.snowflake.com/en/sql-reference/functions/try_to_decimal). #}
{% macro snowflake__klaviyo__parse_money(expr) -%}
  try_to_decimal(nullif(regexp_replace(regexp_replace(trim(to_varchar({{ expr }})), '^(\\$|£|€|USD|GBP|EUR|CAD)\\s*', ''), ',', ''), ''), 18, 2)
{%- endmacro %}
