{#
  A column the package's input shape lists as optional: the column when the input relation has
  it, else a typed null, so a project whose export lacks, say, refunded_at still builds.
  The relation's columns are read from the warehouse (adapter.get_columns_in_relation,
  https://docs.getdbt.com/reference/dbt-jinja-functions/adapter#get_columns_in_relation); at
  parse time, and when compiling with --no-introspect, nothing can be read, and the column is
  taken as absent.
#}
{% macro klaviyo__optional_column(relation, column, data_type, alias=none) -%}
  {%- set present = [] -%}
  {%- if execute and flags.INTROSPECT is not false -%}
    {%- for c in adapter.get_columns_in_relation(relation) -%}
      {%- if c.name | lower == column | lower -%}{%- do present.append(c.name) -%}{%- endif -%}
    {%- endfor -%}
  {%- endif -%}
  {%- if present -%}
    {{ (alias ~ '.') if alias else '' }}{{ column }}
  {%- else -%}
    cast(null as {{ data_type }})
  {%- endif -%}
{%- endmacro %}
