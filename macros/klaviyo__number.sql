{#
  The number rule for money and integers (docs/value-rules.md), the same as the runner's
  runner/transform/number.ts and pinned by the same case table (test/dbt/seeds/klaviyo_value_cases.csv):
  a currency marker before or after the amount, a sign or accounting parentheses, thousands grouped
  by comma, dot, space or apostrophe, one decimal mark. `decimal` is a SQL expression giving the
  source's decimal mark, 'point' or 'comma' (null: not known, and a text that reads as two different
  numbers is refused as ambiguous); `currency` a SQL expression giving the row's ISO 4217 code, which
  a marker in the text must agree with. Returns the SQL of the value and of the reason code.
#}
{% macro klaviyo__number_sql(expr, decimal='null', currency='null', whole=false) -%}
  {%- set mark = "([$£€¥₹]|US[$]|C[$]|A[$]|NZ[$]|HK[$]|[A-Z]{3})" -%}
  {%- set shape = "([+-]?)" ~ mark ~ "?[ ]?([+-]?)([0-9]([0-9.,' ]*[0-9])?)[ ]?" ~ mark ~ "?" -%}
  {%- set point = "([0-9]+([.][0-9]+)?|[1-9][0-9]{0,2}(,[0-9]{3})+([.][0-9]+)?|[1-9][0-9]{0,2}( [0-9]{3})+([.][0-9]+)?|[1-9][0-9]{0,2}('[0-9]{3})+([.][0-9]+)?)" -%}
  {%- set comma = "([0-9]+(,[0-9]+)?|[1-9][0-9]{0,2}([.][0-9]{3})+(,[0-9]+)?|[1-9][0-9]{0,2}( [0-9]{3})+(,[0-9]+)?|[1-9][0-9]{0,2}('[0-9]{3})+(,[0-9]+)?)" -%}
  {%- set text = "nullif(trim(replace(replace(replace(replace(replace(cast(" ~ expr ~ " as varchar), chr(160), ' '), chr(8239), ' '), chr(8201), ' '), chr(8722), '-'), chr(8217), '''')), '')" -%}
  {%- set parens = "coalesce(" ~ klaviyo_runner.klaviyo__matches(text, "[(].*[)]") ~ ", false)" -%}
  {%- set inner = "(case when " ~ parens ~ " then trim(substr(" ~ text ~ ", 2, length(" ~ text ~ ") - 2)) else " ~ text ~ " end)" -%}
  {%- set shaped = "coalesce(" ~ klaviyo_runner.klaviyo__matches(inner, shape) ~ ", false)" -%}
  {%- set sign1 = "coalesce(" ~ klaviyo_runner.klaviyo__regex_group(inner, "^" ~ shape ~ "$", 1) ~ ", '')" -%}
  {%- set mark1 = klaviyo_runner.klaviyo__regex_group(inner, "^" ~ shape ~ "$", 2) -%}
  {%- set sign2 = "coalesce(" ~ klaviyo_runner.klaviyo__regex_group(inner, "^" ~ shape ~ "$", 3) ~ ", '')" -%}
  {%- set body = klaviyo_runner.klaviyo__regex_group(inner, "^" ~ shape ~ "$", 4) -%}
  {%- set mark2 = klaviyo_runner.klaviyo__regex_group(inner, "^" ~ shape ~ "$", 6) -%}
  {%- set marker = "coalesce(" ~ mark1 ~ ", " ~ mark2 ~ ")" -%}
  {%- set point_ok = "coalesce(" ~ klaviyo_runner.klaviyo__matches(body, point) ~ ", false)" -%}
  {%- set comma_ok = "coalesce(" ~ klaviyo_runner.klaviyo__matches(body, comma) ~ ", false)" -%}
  {%- set point_text = klaviyo_runner.klaviyo__replace_all(body, "[, ']", "") -%}
  {%- set comma_text = "replace(" ~ klaviyo_runner.klaviyo__replace_all(body, "[. ']", "") ~ ", ',', '.')" -%}
  {%- set mark_of = "coalesce(" ~ decimal ~ ", case when " ~ point_ok ~ " then 'point' else 'comma' end)" -%}
  {%- set digits = "(case when " ~ mark_of ~ " = 'point' then " ~ point_text ~ " else " ~ comma_text ~ " end)" -%}
  {%- set fraction = "length(rtrim(coalesce(" ~ klaviyo_runner.klaviyo__regex_group(digits, "[.]([0-9]*)$", 1) ~ ", ''), '0'))" -%}
  {%- set amount = klaviyo_runner.klaviyo__try_decimal(digits) -%}
  {%- set named = "coalesce(case when " ~ klaviyo_runner.klaviyo__matches(marker, "[A-Z]{3}") ~ " then " ~ marker ~ " end, case " ~ marker ~ " when '€' then 'EUR' when '£' then 'GBP' when '₹' then 'INR' end)" -%}
  {%- set negative = "(" ~ parens ~ " or " ~ sign1 ~ " = '-' or " ~ sign2 ~ " = '-')" -%}
  {%- set problem -%}
    case
      when {{ text }} is null then null
      when not {{ shaped }} then
        case when {{ klaviyo_runner.klaviyo__matches(inner, "[+-]?[0-9.,]*[0-9][eE][+-]?[0-9]+") }} then 'exponent_notation' else 'not_a_number' end
      when {{ mark1 }} is not null and {{ mark2 }} is not null then 'not_a_number'
      when {{ sign1 }} <> '' and {{ sign2 }} <> '' then 'not_a_number'
      when {{ parens }} and ({{ sign1 }} || {{ sign2 }}) <> '' then 'not_a_number'
      {%- if whole %}
      when {{ marker }} is not null then 'not_a_number'
      {%- endif %}
      when {{ decimal }} = 'point' and not {{ point_ok }} then case when {{ comma_ok }} then 'wrong_decimal_mark' else 'not_a_number' end
      when {{ decimal }} = 'comma' and not {{ comma_ok }} then case when {{ point_ok }} then 'wrong_decimal_mark' else 'not_a_number' end
      when {{ decimal }} is null and not {{ point_ok }} and not {{ comma_ok }} then 'not_a_number'
      when {{ decimal }} is null and {{ point_ok }} and {{ comma_ok }}
        and {{ klaviyo_runner.klaviyo__try_decimal(point_text) }} <> {{ klaviyo_runner.klaviyo__try_decimal(comma_text) }} then 'ambiguous_decimal_mark'
      when nullif(upper(trim({{ currency }})), '') <> {{ named }} then 'currency_mismatch'
      {%- if whole %}
      when {{ fraction }} > 0 then 'not_whole'
      when abs({{ amount }}) > 9007199254740991 then 'out_of_range'
      {%- else %}
      when {{ fraction }} > 4 then 'too_many_decimals'
      when abs({{ amount }}) >= 100000000000000 then 'out_of_range'
      {%- endif %}
    end
  {%- endset -%}
  {%- set magnitude = "(case when " ~ negative ~ " then -1 else 1 end) * " ~ amount -%}
  {%- if whole -%}
    {%- set value = "cast(" ~ magnitude ~ " as bigint)" -%}
  {%- else -%}
    {%- set value = "cast(" ~ magnitude ~ " as decimal(18, 4))" -%}
  {%- endif -%}
  {{ return({'value': "(case when (" ~ problem ~ ") is null and " ~ text ~ " is not null then " ~ value ~ " end)", 'problem': "(" ~ problem ~ ")"}) }}
{%- endmacro %}

{# Money as decimal(18, 4) by the number rule; null when missing or refused (see klaviyo__money_problem). #}
{% macro klaviyo__parse_money(expr, decimal='null', currency='null') -%}
  {{ klaviyo_runner.klaviyo__number_sql(expr, decimal, currency).value }}
{%- endmacro %}

{# Why klaviyo__parse_money refuses a value: a reason code of docs/value-rules.md, or null. #}
{% macro klaviyo__money_problem(expr, decimal='null', currency='null') -%}
  {{ klaviyo_runner.klaviyo__number_sql(expr, decimal, currency).problem }}
{%- endmacro %}

{# A whole number as bigint by the number rule (no currency markers); null when missing or refused. #}
{% macro klaviyo__parse_integer(expr, decimal='null') -%}
  {{ klaviyo_runner.klaviyo__number_sql(expr, decimal, 'null', true).value }}
{%- endmacro %}

{% macro klaviyo__integer_problem(expr, decimal='null') -%}
  {{ klaviyo_runner.klaviyo__number_sql(expr, decimal, 'null', true).problem }}
{%- endmacro %}

{#
  The decimal mark of one of the package's inputs, from the var klaviyo__number_locales
  (dbt_project.yml), as a SQL literal: 'point', 'comma', or null when the project has not said.
#}
{% macro klaviyo__input_decimal(input) -%}
  {%- set mark = var('klaviyo__number_locales', {}).get(input) -%}
  {%- if mark is none -%}
    null
  {%- elif mark in ['point', 'comma'] -%}
    '{{ mark }}'
  {%- else -%}
    {{ exceptions.raise_compiler_error("klaviyo__number_locales." ~ input ~ " is '" ~ mark ~ "'; use point (1,234.50), comma (1.234,50) or null (not known)") }}
  {%- endif -%}
{%- endmacro %}
