{#
  The phone rule's first step (docs/value-rules.md), as phoneSyntax in runner/identity/phone.ts:
  an extension is dropped; letters or characters a number cannot have are refused; "(0)" is
  dropped; a number starting with + is international, and so is one starting with its region's
  international prefix or "00"; any other is national, read in the region with its national prefix
  dropped; 7 to 15 digits remain (E.164, https://www.itu.int/rec/T-REC-E.164, the only form
  Klaviyo accepts: https://developers.klaviyo.com/en/reference/profiles_api_overview).
  Whether a numbering plan assigns the number is checked by the runner (libphonenumber), which
  reports every number it drops.

  `plan` is the alias of the int_klaviyo__country_keys row of the region national numbers are read
  in (the row's country, else klaviyo__default_phone_region); `country_problem` the SQL of why the
  row's country could not be read (klaviyo__country_problem), or 'null'.
#}
{% macro klaviyo__phone_sql(phone, plan, country_problem='null') -%}
  {%- set text = "nullif(trim(replace(replace(replace(cast(" ~ phone ~ " as varchar), chr(160), ' '), chr(8239), ' '), chr(8201), ' ')), '')" -%}
  {%- set bare = "regexp_replace(lower(" ~ text ~ "), " ~ klaviyo_runner.klaviyo__pattern_literal("[[:space:]]*(ext[.]?|extension|x|#)[[:space:]]*[0-9]{1,6}$") ~ ", '')" -%}
  {%- set raw_digits = klaviyo_runner.klaviyo__replace_all("replace(" ~ bare ~ ", '(0)', '')", "[^0-9]", "") -%}
  {%- set international = "(" ~ bare ~ " like '+%')" -%}
  {%- set digits -%}
    (case
      when {{ international }} then {{ raw_digits }}
      when {{ plan }}.idd_prefix is not null and {{ raw_digits }} like {{ plan }}.idd_prefix || '%'
        then substr({{ raw_digits }}, length({{ plan }}.idd_prefix) + 1)
      when {{ raw_digits }} like '00%' then substr({{ raw_digits }}, 3)
      when {{ plan }}.national_prefix is not null and {{ raw_digits }} like {{ plan }}.national_prefix || '%'
        then {{ plan }}.calling_code || substr({{ raw_digits }}, length({{ plan }}.national_prefix) + 1)
      else {{ plan }}.calling_code || {{ raw_digits }}
    end)
  {%- endset -%}
  {%- set problem -%}
    (case
      when {{ text }} is null then null
      when {{ klaviyo_runner.klaviyo__matches(bare, ".*[a-z].*") }} then 'letters'
      when not {{ klaviyo_runner.klaviyo__matches(bare, "[+]?[-0-9 ()./]+") }} then 'not_a_phone'
      when not {{ international }} and {{ country_problem }} is not null then {{ country_problem }}
      when not {{ international }} and {{ plan }}.calling_code is null then 'unknown_country'
      when length({{ digits }}) < 7 then 'too_short'
      when length({{ digits }}) > 15 then 'too_long'
      when {{ digits }} like '0%' then 'not_a_phone'
    end)
  {%- endset -%}
  {{ return({'value': "(case when " ~ problem ~ " is null and " ~ text ~ " is not null then '+' || " ~ digits ~ " end)", 'problem': problem}) }}
{%- endmacro %}

{# The number in E.164 by syntax, or null when missing or refused (see klaviyo__phone_problem). #}
{% macro klaviyo__phone_e164(phone, plan, country_problem='null') -%}
  {{ klaviyo_runner.klaviyo__phone_sql(phone, plan, country_problem).value }}
{%- endmacro %}

{% macro klaviyo__phone_problem(phone, plan, country_problem='null') -%}
  {{ klaviyo_runner.klaviyo__phone_sql(phone, plan, country_problem).problem }}
{%- endmacro %}
