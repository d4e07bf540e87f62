{# Whole-string regular expression match, per warehouse. #}
{% macro klaviyo__matches(expr, pattern) -%}
  {{ return(adapter.dispatch('klaviyo__matches', 'klaviyo_runner')(expr, pattern)) }}
{%- endmacro %}

{% macro default__klaviyo__matches(expr, pattern) -%}
  regexp_full_match({{ expr }}, '{{ pattern }}')
{%- endmacro %}

{# Snowflake string literals treat backslash as an escape, so the pattern's backslashes are doubled. #}
{% macro snowflake__klaviyo__matches(expr, pattern) -%}
  regexp_like({{ expr }}, '{{ pattern | replace("\\", "\\\\") | replace("'", "\\'") }}')
{%- endmacro %}
