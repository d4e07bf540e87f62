{#
  An optional input of the package (klaviyo__checkouts_model, klaviyo__web_events_model): a select
  from the model the var names, or, when the var is empty, a select of no rows with the input
  shape's columns, so the models built on it still build (empty) and their syncs send nothing.
  `columns` is a list of [name, data type]; `optional` the same for the columns the input may lack,
  read as null when it does (klaviyo__optional_column). A var naming a model that does not exist
  fails at parse time in ref(), naming it.
#}
{% macro klaviyo__optional_input(var_name, columns, optional=[]) -%}
  {%- set model_name = var(var_name, '') -%}
  {%- if model_name is not string -%}
    {{ exceptions.raise_compiler_error("klaviyo__optional_input: var " ~ var_name ~ " must be a model name or empty, got " ~ model_name) }}
  {%- endif -%}
  {%- if model_name | trim != '' -%}
    {%- set relation = ref(model_name | trim) -%}
    select {% for name, data_type in columns %}{{ name }}{{ ", " if not loop.last }}{% endfor %}
    {%- for name, data_type in optional %}, {{ klaviyo_runner.klaviyo__optional_column(relation, name, data_type) }} as {{ name }}{% endfor %}
    from {{ relation }}
  {%- else -%}
    select {% for name, data_type in columns + optional %}cast(null as {{ data_type }}) as {{ name }}{{ ", " if not loop.last }}{% endfor %}
    where 1 = 0
  {%- endif -%}
{%- endmacro %}

{#
  The relation an optional input's var names, or none when the var is empty (the input is then
  klaviyo__optional_input's typed empty select), so a model can read the input's column types
  (klaviyo__input_time) where there is a relation to read them from.
#}
{% macro klaviyo__optional_input_relation(var_name) -%}
  {%- set model_name = var(var_name, '') -%}
  {%- if model_name is string and model_name | trim != '' -%}
    {{ return(ref(model_name | trim)) }}
  {%- endif -%}
  {{ return(none) }}
{%- endmacro %}
