{#
  A scalar of a JSON document held as text, read by a dotted path (`data.attributes.datetime`),
  as text; null when the path is absent. Used on the payloads `extract` and the webhook receiver
  store as JSON text (docs/webhooks.md#the-warehouse-table).
  DuckDB: json_extract_string with a JSONPath (https://duckdb.org/docs/stable/data/json/json_functions).
  Snowflake: JSON_EXTRACT_PATH_TEXT reads a dotted path from text
  (https://docs.snowflake.com/en/sql-reference/functions/json_extract_path_text).
#}
{% macro klaviyo__json_extract_text(expr, path) -%}
  {%- if path is not string or path == '' or ' ' in path or "'" in path -%}
    {{ exceptions.raise_compiler_error("klaviyo__json_extract_text: `path` must be a dotted path such as data.attributes.datetime, got " ~ path) }}
  {%- endif -%}
  {{ return(adapter.dispatch('klaviyo__json_extract_text', 'klaviyo_runner')(expr, path)) }}
{%- endmacro %}

{% macro default__klaviyo__json_extract_text(expr, path) -%}
  json_extract_string({{ expr }}, '$.{{ path }}')
{%- endmacro %}

{% macro snowflake__klaviyo__json_extract_text(expr, path) -%}
  json_extract_path_text({{ expr }}, '{{ path }}')
{%- endmacro %}
