{#
  One Klaviyo Items entry per order line, with the keys Klaviyo's Placed Order convention uses
  (ProductID, SKU, ProductName, Quantity, ItemPrice, RowTotal, ProductURL, ImageURL, Categories):
  https://developers.klaviyo.com/en/docs/guide_to_integrating_a_platform_without_a_pre_built_klaviyo_integration
  `line` is the alias of a relation shaped like int_klaviyo__order_lines.
#}
{% macro klaviyo__order_item_object(line) -%}
  {{ klaviyo__json_object([
      ['ProductID', line ~ '.product_id'],
      ['SKU', line ~ '.sku'],
      ['ProductName', line ~ '.product_name'],
      ['Quantity', line ~ '.quantity'],
      ['ItemPrice', 'cast(' ~ line ~ '.item_price as double)'],
      ['RowTotal', 'cast(' ~ line ~ '.row_total as double)'],
      ['ProductURL', line ~ '.product_url'],
      ['ImageURL', line ~ '.image_url'],
      ['Categories', klaviyo__json_array_of(line ~ '.category')],
  ]) }}
{%- endmacro %}

{# The Items array of an order: its lines' objects in line order. #}
{% macro klaviyo__order_items(line) -%}
  {{ klaviyo__json_array_agg(klaviyo__order_item_object(line), line ~ '.line_number') }}
{%- endmacro %}
