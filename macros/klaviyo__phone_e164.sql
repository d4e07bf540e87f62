{#
  A phone number in E.164 (+<country><number>, at most 15 digits), which is the only form Klaviyo
  accepts for phone_number (https://developers.klaviyo.com/en/reference/profiles_api_overview).
  National formats are read for the regions the shop sells to: NANP (US, CA: 10 digits, or 11 with
  the leading 1) and trunk-prefix countries (GB, DE, FR: a leading 0 is dropped after the country
  code). Anything else is null here; the runner checks every number again with libphonenumber.
#}
{% macro klaviyo__phone_e164(phone, country) -%}
  {{ return(adapter.dispatch('klaviyo__phone_e164', 'klaviyo_runner')(phone, country)) }}
{%- endmacro %}

{% macro default__klaviyo__phone_e164(phone, country) -%}
  {%- set digits = klaviyo__digits_only("coalesce(" ~ phone ~ ", '')") -%}
  case
    when trim(coalesce({{ phone }}, '')) = '' then null
    when trim({{ phone }}) like '+%' and length({{ digits }}) between 8 and 15 then '+' || {{ digits }}
    when upper({{ country }}) in ('US', 'CA') and length({{ digits }}) = 10 then '+1' || {{ digits }}
    when upper({{ country }}) in ('US', 'CA') and length({{ digits }}) = 11 and {{ digits }} like '1%' then '+' || {{ digits }}
    when upper({{ country }}) = 'GB' and {{ digits }} like '0%' and length({{ digits }}) = 11 then '+44' || substr({{ digits }}, 2)
    when upper({{ country }}) = 'DE' and {{ digits }} like '0%' and length({{ digits }}) between 6 and 12 then '+49' || substr({{ digits }}, 2)
    when upper({{ country }}) = 'FR' and {{ digits }} like '0%' and length({{ digits }}) = 10 then '+33' || substr({{ digits }}, 2)
    else null
  end
{%- endmacro %}

{# The digits of a text, per warehouse: DuckDB's regexp_replace needs the 'g' flag to replace every
   match; Snowflake's replaces every match by default and takes no such flag. #}
{% macro klaviyo__digits_only(expr) -%}
  {{ return(adapter.dispatch('klaviyo__digits_only', 'klaviyo_runner')(expr)) }}
{%- endmacro %}

{% macro default__klaviyo__digits_only(expr) -%}
  regexp_replace({{ expr }}, '[^0-9]', '', 'g')
{%- endmacro %}

{% macro snowflake__klaviyo__digits_only(expr) -%}
  regexp_replace({{ expr }}, '[^0-9]', '')
{%- endmacro %}
