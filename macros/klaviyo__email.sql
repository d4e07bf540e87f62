{#
  Email normalisation and validity, as the runner applies them too: trimmed, lower-cased, one @,
  a dot in the domain, no spaces, at most 100 characters (Klaviyo's limit for email,
  https://developers.klaviyo.com/en/reference/profiles_api_overview).
#}
{% macro klaviyo__normalize_email(expr) -%}
  lower(trim({{ expr }}))
{%- endmacro %}

{% macro klaviyo__email_pattern() -%}
  ^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$
{%- endmacro %}

{% macro klaviyo__is_valid_email(expr) -%}
  {{ return(adapter.dispatch('klaviyo__is_valid_email', 'klaviyo_runner')(expr)) }}
{%- endmacro %}

{% macro default__klaviyo__is_valid_email(expr) -%}
  (length({{ expr }}) <= 100 and regexp_full_match({{ expr }}, '{{ klaviyo__email_pattern() | replace("'", "''") }}'))
{%- endmacro %}

{# Snowflake's REGEXP_LIKE matches the whole string (https://docs.snowflake.com/en/sql-reference/functions/regexp_like). #}
{% macro snowflake__klaviyo__is_valid_email(expr) -%}
  (length({{ expr }}) <= 100 and regexp_like({{ expr }}, '{{ klaviyo__email_pattern() | replace("\\", "\\\\") | replace("'", "\\'") }}'))
{%- endmacro %}
