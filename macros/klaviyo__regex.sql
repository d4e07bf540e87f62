{#
  Regular-expression helpers, per warehouse. Patterns are written for both engines: POSIX classes
  and brackets ([.] [$] [[:space:]]) instead of backslash escapes, no non-capturing groups (RE2 in
  DuckDB, https://duckdb.org/docs/stable/sql/functions/regular_expressions; POSIX ERE in Snowflake,
  https://docs.snowflake.com/en/sql-reference/functions-regexp).
#}

{# A pattern as a SQL string literal. #}
{% macro klaviyo__pattern_literal(pattern) -%}
  {{ return(adapter.dispatch('klaviyo__pattern_literal', 'klaviyo_runner')(pattern)) }}
{%- endmacro %}

{% macro default__klaviyo__pattern_literal(pattern) -%}
  '{{ pattern | replace("'", "''") }}'
{%- endmacro %}

{# Snowflake string literals treat backslash as an escape. #}
{% macro snowflake__klaviyo__pattern_literal(pattern) -%}
  '{{ pattern | replace("\\", "\\\\") | replace("'", "''") }}'
{%- endmacro %}

{# Every match replaced. DuckDB replaces the first match unless given the 'g' flag; Snowflake replaces all. #}
{% macro klaviyo__replace_all(expr, pattern, replacement) -%}
  {{ return(adapter.dispatch('klaviyo__replace_all', 'klaviyo_runner')(expr, pattern, replacement)) }}
{%- endmacro %}

{% macro default__klaviyo__replace_all(expr, pattern, replacement) -%}
  regexp_replace({{ expr }}, {{ klaviyo_runner.klaviyo__pattern_literal(pattern) }}, '{{ replacement }}', 'g')
{%- endmacro %}

{% macro snowflake__klaviyo__replace_all(expr, pattern, replacement) -%}
  regexp_replace({{ expr }}, {{ klaviyo_runner.klaviyo__pattern_literal(pattern) }}, '{{ replacement }}')
{%- endmacro %}

{# A capture group of the first match, null when there is no match or the group is empty. #}
{% macro klaviyo__regex_group(expr, pattern, group) -%}
  {{ return(adapter.dispatch('klaviyo__regex_group', 'klaviyo_runner')(expr, pattern, group)) }}
{%- endmacro %}

{% macro default__klaviyo__regex_group(expr, pattern, group) -%}
  nullif(regexp_extract({{ expr }}, {{ klaviyo_runner.klaviyo__pattern_literal(pattern) }}, {{ group }}), '')
{%- endmacro %}

{# https://docs.snowflake.com/en/sql-reference/functions/regexp_substr: 'e' extracts a group. #}
{% macro snowflake__klaviyo__regex_group(expr, pattern, group) -%}
  nullif(regexp_substr({{ expr }}, {{ klaviyo_runner.klaviyo__pattern_literal(pattern) }}, 1, 1, 'e', {{ group }}), '')
{%- endmacro %}

{# Text as a decimal(38, 10), null when it is not one. #}
{% macro klaviyo__try_decimal(expr) -%}
  {{ return(adapter.dispatch('klaviyo__try_decimal', 'klaviyo_runner')(expr)) }}
{%- endmacro %}

{% macro default__klaviyo__try_decimal(expr) -%}
  try_cast({{ expr }} as decimal(38, 10))
{%- endmacro %}

{# https://docs.snowflake.com/en/sql-reference/functions/try_to_decimal #}
{% macro snowflake__klaviyo__try_decimal(expr) -%}
  try_to_decimal({{ expr }}, 38, 10)
{%- endmacro %}
