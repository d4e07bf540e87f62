{#
  Column names that would make custom property keys Klaviyo cannot segment on, or that the runner
  refuses: spaces, dots, brackets, or a leading $ (Klaviyo's own system properties use $). Each
  synced column's name becomes a property key, so the model's real columns are checked.
#}
{% test klaviyo_property_keys(model) %}
{%- set bad = [] -%}
{#- Columns are read from the warehouse only when tests run, so `dbt compile` needs no connection. -#}
{%- if execute and flags.WHICH in ('test', 'build') -%}
  {%- for column in adapter.get_columns_in_relation(model) -%}
    {%- set name = column.name -%}
    {%- if ' ' in name or '.' in name or '[' in name or ']' in name or name.startswith('$') -%}
      {%- do bad.append(name) -%}
    {%- endif -%}
  {%- endfor -%}
{%- endif %}
select bad_property_key from (
  select cast(null as varchar) as bad_property_key
  {%- for name in bad %}
  union all select '{{ name | replace("'", "''") }}'
  {%- endfor %}
) as keys
where bad_property_key is not null
{% endtest %}
