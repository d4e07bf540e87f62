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
  {#- Groups: 1 "(", 2 sign, 3 marker, 4 sign, 5 digits, 7 marker, 8 ")". -#}
  {%- set shape = "^([(]?)([+-]?)" ~ mark ~ "?[ ]?([+-]?)([0-9]([0-9.,' ]*[0-9])?)[ ]?" ~ mark ~ "?([)]?)$" -%}
  {%- set point = "([0-9]+([.][0-9]+)?|[1-9][0-9]{0,2}(,[0-9]{3})+([.][0-9]+)?|[1-9][0-9]{0,2}( [0-9]{3})+([.][0-9]+)?|[1-9][0-9]{0,2}('[0-9]{3})+([.][0-9]+)?)" -%}
  {%- set comma = "([0-9]+(,[0-9]+)?|[1-9][0-9]{0,2}([.][0-9]{3})+(,[0-9]+)?|[1-9][0-9]{0,2}( [0-9]{3})+(,[0-9]+)?|[1-9][0-9]{0,2}('[0-9]{3})+(,[0-9]+)?)" -%}
  {#- No-break, narrow no-break and thin spaces read as spaces, the minus sign as "-", a typographic apostrophe as "'". -#}
  {%- set text = "nullif(trim(translate(cast(" ~ expr ~ " as varchar), chr(160) || chr(8239) || chr(8201) || chr(8722) || chr(8217), '   -''')), '')" -%}
  {%- set group = {} -%}
  {%- for n in [1, 2, 3, 4, 5, 7, 8] -%}
    {%- do group.update({n: "coalesce(" ~ klaviyo_runner.klaviyo__regex_group(text, shape, n) ~ ", '')"}) -%}
  {%- endfor -%}
  {%- set body = group[5] -%}
  {%- set point_ok = "coalesce(" ~ klaviyo_runner.klaviyo__matches(body, point) ~ ", false)" -%}
  {%- set comma_ok = "coalesce(" ~ klaviyo_runner.klaviyo__matches(body, comma) ~ ", false)" -%}
  {%- set point_amount = klaviyo_runner.klaviyo__try_decimal(klaviyo_runner.klaviyo__replace_all(body, "[, ']", "")) -%}
  {%- set comma_amount = klaviyo_runner.klaviyo__try_decimal("replace(" ~ klaviyo_runner.klaviyo__replace_all(body, "[. ']", "") ~ ", ',', '.')") -%}
  {%- set amount = "(case when coalesce(" ~ decimal ~ ", case when " ~ point_ok ~ " then 'point' end) = 'point' then " ~ point_amount ~ " else " ~ comma_amount ~ " end)" -%}
  {%- set marker = "nullif(" ~ group[3] ~ " || " ~ group[7] ~ ", '')" -%}
  {%- set named = "coalesce(case when " ~ klaviyo_runner.klaviyo__matches(marker, "[A-Z]{3}") ~ " then " ~ marker ~ " end, case " ~ marker ~ " when '€' then 'EUR' when '£' then 'GBP' when '₹' then 'INR' end)" -%}
  {%- set problem -%}
    case
      when {{ text }} is null then null
      when not coalesce({{ klaviyo_runner.klaviyo__matches(text, shape) }}, false) then
        case when {{ klaviyo_runner.klaviyo__matches(text, "[+-]?[0-9.,]*[0-9][eE][+-]?[0-9]+") }} then 'exponent_notation' else 'not_a_number' end
      when ({{ group[1] }} = '') <> ({{ group[8] }} = '') then 'not_a_number'
      when {{ group[3] }} <> '' and {{ group[7] }} <> '' then 'not_a_number'
      when {{ group[2] }} <> '' and {{ group[4] }} <> '' then 'not_a_number'
      when {{ group[1] }} <> '' and ({{ group[2] }} || {{ group[4] }}) <> '' then 'not_a_number'
      {%- if whole %}
      when {{ marker }} is not null then 'not_a_number'
      {%- endif %}
      when {{ decimal }} = 'point' and not {{ point_ok }} then case when {{ comma_ok }} then 'wrong_decimal_mark' else 'not_a_number' end
      when {{ decimal }} = 'comma' and not {{ comma_ok }} then case when {{ point_ok }} then 'wrong_decimal_mark' else 'not_a_number' end
      when {{ decimal }} is null and not {{ point_ok }} and not {{ comma_ok }} then 'not_a_number'
      when {{ decimal }} is null and {{ point_ok }} and {{ comma_ok }} and {{ point_amount }} <> {{ comma_amount }}
        then 'ambiguous_decimal_mark'
      when nullif(upper(trim({{ currency }})), '') <> {{ named }} then 'currency_mismatch'
      {%- if whole %}
      when {{ amount }} <> round({{ amount }}, 0) then 'not_whole'
      when abs({{ amount }}) > 9007199254740991 then 'out_of_range'
      {%- else %}
      when {{ amount }} <> round({{ amount }}, 4) then 'too_many_decimals'
      when abs({{ amount }}) >= 100000000000000 then 'out_of_range'
      {%- endif %}
    end
  {%- endset -%}
  {%- set signed = "(case when " ~ group[1] ~ " = '(' or " ~ group[2] ~ " = '-' or " ~ group[4] ~ " = '-' then -1 else 1 end) * " ~ amount -%}
  {%- set value = "cast(" ~ signed ~ (" as bigint)" if whole else " as decimal(18, 4))") -%}
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
  The decimal mark a row of one of the package's inputs is written with: the row's own
  `decimal_mark` column when the input has one and it is set (a staging model that unions several
  sources sets it per source), else the input's var (klaviyo__input_decimal). `column` is the SQL
  of that column, lower-cased and trimmed; a value other than point or comma is refused by
  klaviyo__decimal_mark_problem, never guessed.
#}
{% macro klaviyo__row_decimal(column, input) -%}
  coalesce(nullif(lower(trim({{ column }})), ''), {{ klaviyo_runner.klaviyo__input_decimal(input) }})
{%- endmacro %}

{% macro klaviyo__decimal_mark_problem(column) -%}
  (nullif(lower(trim({{ column }})), '') not in ('point', 'comma'))
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
