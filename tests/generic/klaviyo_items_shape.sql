{#
  Every Items entry of an order event carries Klaviyo's required keys with the right types:
  ProductName and SKU strings, Quantity and ItemPrice numbers
  (https://developers.klaviyo.com/en/docs/guide_to_integrating_a_platform_without_a_pre_built_klaviyo_integration).
#}
{% test klaviyo_items_shape(model, column_name) %}
  {{ klaviyo__items_shape_failures(model, column_name) }}
{% endtest %}
