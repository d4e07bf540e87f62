{#
  JSON construction written once for every warehouse. Klaviyo properties are JSON objects; the
  runner reads the column as JSON text (DuckDB) or VARIANT (Snowflake).

  klaviyo__json_object(pairs): pairs is a list of [key, sql expression].
  klaviyo__json_array_agg(expr, order_by): aggregate JSON values into an ordered array.
  klaviyo__json_text(expr): the JSON value as text, for hashing and for drivers that want text.
#}
{% macro klaviyo__json_object(pairs) -%}
  {%- if pairs is string or pairs | length == 0 -%}
    {{ exceptions.raise_compiler_error("klaviyo__json_object: `pairs` must be a non-empty list of [key, expression], got " ~ pairs) }}
  {%- endif -%}
  {{ return(adapter.dispatch('klaviyo__json_object', 'klaviyo_runner')(pairs)) }}
{%- endmacro %}

{% macro default__klaviyo__json_object(pairs) -%}
  json_object({%- for key, expr in pairs %}'{{ key }}', {{ expr }}{{ ", " if not loop.last }}{% endfor -%})
{%- endmacro %}

{# Snowflake's OBJECT_CONSTRUCT drops null values, as Klaviyo does with null properties. #}
{% macro snowflake__klaviyo__json_object(pairs) -%}
  object_construct({%- for key, expr in pairs %}'{{ key }}', {{ expr }}{{ ", " if not loop.last }}{% endfor -%})
{%- endmacro %}

{% macro klaviyo__json_array_agg(expr, order_by) -%}
  {{ return(adapter.dispatch('klaviyo__json_array_agg', 'klaviyo_runner')(expr, order_by)) }}
{%- endmacro %}

{# Postgres-style ordered aggregate. #}
{% macro default__klaviyo__json_array_agg(expr, order_by) -%}
  json_agg({{ expr }} order by {{ order_by }})
{%- endmacro %}

{# DuckDB's json_group_array is a macro and takes no ORDER BY; list() is a real ordered aggregate. #}
{% macro duckdb__klaviyo__json_array_agg(expr, order_by) -%}
  to_json(list({{ expr }} order by {{ order_by }}))
{%- endmacro %}

{% macro snowflake__klaviyo__json_array_agg(expr, order_by) -%}
  array_agg({{ expr }}) within group (order by {{ order_by }})
{%- endmacro %}

{% macro klaviyo__json_text(expr) -%}
  {{ return(adapter.dispatch('klaviyo__json_text', 'klaviyo_runner')(expr)) }}
{%- endmacro %}

{% macro default__klaviyo__json_text(expr) -%}
  cast({{ expr }} as varchar)
{%- endmacro %}

{% macro snowflake__klaviyo__json_text(expr) -%}
  to_json({{ expr }})
{%- endmacro %}

{# A JSON array of strings from a delimited text column. #}
{% macro klaviyo__json_array_of(expr) -%}
  {{ return(adapter.dispatch('klaviyo__json_array_of', 'klaviyo_runner')(expr)) }}
{%- endmacro %}

{% macro default__klaviyo__json_array_of(expr) -%}
  to_json([{{ expr }}])
{%- endmacro %}

{% macro snowflake__klaviyo__json_array_of(expr) -%}
  array_construct({{ expr }})
{%- endmacro %}
