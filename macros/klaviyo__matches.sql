{# Whole-string regular expression match, per warehouse. #}
{% macro klaviyo__matches(expr, pattern) -%}
  {{ return(adapter.dispatch('klaviyo__matches', 'klaviyo_runner')(expr, pattern)) }}
{%- endmacro %}

{% macro default__klaviyo__matches(expr, pattern) -%}
  regexp_full_match({{ expr }}, {{ klaviyo_runner.klaviyo__pattern_literal(pattern) }})
{%- endmacro %}

{# Snowflake's REGEXP_LIKE matches the whole string (https://docs.snowflake.com/en/sql-reference/functions/regexp_like). #}
{% macro snowflake__klaviyo__matches(expr, pattern) -%}
  regexp_like({{ expr }}, {{ klaviyo_runner.klaviyo__pattern_literal(pattern) }})
{%- endmacro %}
