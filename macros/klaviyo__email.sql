{#
  The email rule (docs/value-rules.md), as runner/identity/email.ts: trimmed, lower-cased, a
  leading "mailto:" dropped; one @, a dot in the domain, no spaces, ASCII only, at most 100
  characters (Klaviyo's limit for email, https://developers.klaviyo.com/en/reference/profiles_api_overview).
  Trimmed of what the runner trims (JavaScript's white space and line terminators, its
  TRIMMED_CODE_POINTS), not of what a warehouse's one-argument trim removes (DuckDB keeps a tab
  or a line break, Snowflake keeps all but blanks): an address with a tab after it is the
  runner's ann@example.com, not an invalid email.
#}
{% macro klaviyo__trimmed_characters() -%}
  {%- set code_points = [9, 10, 11, 12, 13, 32, 160, 5760, 8192, 8193, 8194, 8195, 8196, 8197, 8198,
    8199, 8200, 8201, 8202, 8232, 8233, 8239, 8287, 12288, 65279] -%}
  {%- for c in code_points %}chr({{ c }}){% if not loop.last %} || {% endif %}{% endfor -%}
{%- endmacro %}

{% macro klaviyo__normalize_email(expr) -%}
  regexp_replace(lower(trim({{ expr }}, {{ klaviyo_runner.klaviyo__trimmed_characters() }})), '^mailto:', '')
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
