{# The Items entries that break Klaviyo's shape; the body of the klaviyo_items_shape test (tests/generic). #}
{% macro klaviyo__items_shape_failures(model, column_name) %}
  {{ return(adapter.dispatch('klaviyo__items_shape_failures', 'klaviyo_runner')(model, column_name)) }}
{% endmacro %}

{% macro default__klaviyo__items_shape_failures(model, column_name) %}
with items as (
    select unnest(from_json(json_extract({{ column_name }}, '$.Items'), '["JSON"]')) as item
    from {{ model }}
)
select item
from items
where json_type(item, '$.ProductName') <> 'VARCHAR'
    or json_type(item, '$.SKU') <> 'VARCHAR'
    or json_type(item, '$.Quantity') not in ('UBIGINT', 'BIGINT', 'DOUBLE')
    or json_type(item, '$.ItemPrice') not in ('UBIGINT', 'BIGINT', 'DOUBLE')
union all
select {{ column_name }}
from {{ model }}
where json_type({{ column_name }}, '$.Items') <> 'ARRAY'
{% endmacro %}

{% macro snowflake__klaviyo__items_shape_failures(model, column_name) %}
with items as (
    select item.value as item, src.{{ column_name }}
    from {{ model }} as src, lateral flatten(input => parse_json(src.{{ column_name }}):Items) as item
)
select item
from items
where typeof(item:ProductName) <> 'VARCHAR'
    or typeof(item:SKU) <> 'VARCHAR'
    or typeof(item:Quantity) not in ('INTEGER', 'DECIMAL', 'DOUBLE')
    or typeof(item:ItemPrice) not in ('INTEGER', 'DECIMAL', 'DOUBLE')
{% endmacro %}
