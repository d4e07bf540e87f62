{#
  The country rule (docs/value-rules.md), as runner/identity/country.ts: a country text is looked
  up by its key (lower case, trimmed, inner spaces collapsed) in int_klaviyo__country_keys, which
  holds ISO 3166-1 alpha-2 and alpha-3 codes and English names and aliases. Join on this key:
    left join {{ ref('int_klaviyo__country_keys') }} as countries
      on countries.country_key = {{ klaviyo_runner.klaviyo__country_key('customers.country') }}
  countries.country_code is then the alpha-2 code; klaviyo__country_problem says why there is none.
#}
{% macro klaviyo__country_key(expr) -%}
  lower({{ klaviyo_runner.klaviyo__replace_all("trim(cast(" ~ expr ~ " as varchar))", "[[:space:]]+", " ") }})
{%- endmacro %}

{# 'unknown_country' when no key matches, 'ambiguous_country' when the key names two countries. #}
{% macro klaviyo__country_problem(expr, joined_alias) -%}
  (case
    when nullif(trim(cast({{ expr }} as varchar)), '') is null then null
    when {{ joined_alias }}.country_key is null then 'unknown_country'
    when {{ joined_alias }}.country_code is null then 'ambiguous_country'
  end)
{%- endmacro %}
