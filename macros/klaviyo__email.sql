{#
  The email rule (docs/value-rules.md), as runner/identity/email.ts: trimmed, lower-cased, a
  leading "mailto:" dropped; one @, a dot in the domain, no spaces, ASCII only, at most 100
  characters (Klaviyo's limit for email, https://developers.klaviyo.com/en/reference/profiles_api_overview).
#}
{% macro klaviyo__normalize_email(expr) -%}
  regexp_replace(lower(trim({{ expr }})), '^mailto:', '')
{%- endmacro %}

{# Why an email is refused: 'too_long' or 'invalid_email', or null when valid or missing. #}
{% macro klaviyo__email_problem(expr) -%}
  {%- set email = "nullif(" ~ klaviyo_runner.klaviyo__normalize_email(expr) ~ ", '')" -%}
  (case
    when {{ email }} is null then null
    when length({{ email }}) > 100 then 'too_long'
    when not {{ klaviyo_runner.klaviyo__is_valid_email(email) }} then 'invalid_email'
  end)
{%- endmacro %}

{% macro klaviyo__email_pattern() -%}
  ^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$
{%- endmacro %}

{% macro klaviyo__is_valid_email(expr) -%}
  {{ return(adapter.dispatch('klaviyo__is_valid_email', 'klaviyo_runner')(expr)) }}
{%- endmacro %}

{% macro default__klaviyo__is_valid_email(expr) -%}
  (length({{ expr }}) <= 100 and regexp_full_match({{ expr }}, '{{ klaviyo_runner.klaviyo__email_pattern() | replace("'", "''") }}'))
{%- endmacro %}

{# Snowflake's REGEXP_LIKE matches the whole string (https://docs.snowflake.com/en/sql-reference/functions/regexp_like). #}
{% macro snowflake__klaviyo__is_valid_email(expr) -%}
  (length({{ expr }}) <= 100 and regexp_like({{ expr }}, '{{ klaviyo_runner.klaviyo__email_pattern() | replace("\\", "\\\\") | replace("'", "\\'") }}'))
{%- endmacro %}
