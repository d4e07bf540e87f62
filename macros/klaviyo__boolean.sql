{#
  The boolean rule (docs/value-rules.md), as runner/transform/boolean.ts: true/false, t/f, yes/no,
  y/n, 1/0 in any case; anything else is refused ('not_a_boolean'), words of other languages too.
#}
{% macro klaviyo__parse_boolean(expr) -%}
  (case lower(trim(cast({{ expr }} as varchar)))
    when 'true' then true when 't' then true when 'yes' then true when 'y' then true when '1' then true
    when 'false' then false when 'f' then false when 'no' then false when 'n' then false when '0' then false
  end)
{%- endmacro %}

{% macro klaviyo__boolean_problem(expr) -%}
  (case
    when nullif(trim(cast({{ expr }} as varchar)), '') is null then null
    when {{ klaviyo_runner.klaviyo__parse_boolean(expr) }} is null then 'not_a_boolean'
  end)
{%- endmacro %}
