{#
  The problem rules every product line shares (an order line, a checkout line, a product view or
  add to cart), written once so the three models give the same code and the same sentence for the
  same fault: the quantity read by the integer rule (quantity_<integer code>, then no_quantity,
  then negative_quantity), then the sku (no_sku) and the product name (no_product_name), in that
  order. Each model puts its own checks (decimal mark, prices, times, identity) before these in
  its own `case`; the codes are those of docs/value-rules.md.

  klaviyo__line_problem_codes gives the `when … then <code>` branches, klaviyo__line_problem_messages
  the `when … then <sentence>` branches. Both test the same conditions in the same order, not the
  code, so the sentence may be built in the same select as the code (web events) or after it, and
  a model's own checks must come in the same order in both cases.

  `rows` is the alias the line's columns are read from: `quantity_problem` (klaviyo__integer_problem
  of the input quantity), `quantity_text` (the input quantity as text, quoted in the sentence),
  `sku` and `product_name`. `quantity` names the column of the quantity read (parsed_quantity by
  default; a web event's, where an empty quantity is one, is `quantity`). `sku_required=false`
  drops the sku rule, for a line the package sends without one (a web event).
#}
{% macro klaviyo__line_problem_codes(rows, quantity='parsed_quantity', sku_required=true) -%}
    when {{ rows }}.quantity_problem is not null then 'quantity_' || {{ rows }}.quantity_problem
            when {{ rows }}.{{ quantity }} is null then 'no_quantity'
            when {{ rows }}.{{ quantity }} < 0 then 'negative_quantity'
            {%- if sku_required %}
            when nullif(trim({{ rows }}.sku), '') is null then 'no_sku'
            {%- endif %}
            when nullif(trim({{ rows }}.product_name), '') is null then 'no_product_name'
{%- endmacro %}

{% macro klaviyo__line_problem_messages(rows, quantity='parsed_quantity', sku_required=true) -%}
    when {{ rows }}.quantity_problem is not null
                then 'quantity "' || {{ rows }}.quantity_text || '" cannot be read as a whole number ('
                || {{ rows }}.quantity_problem || ', docs/value-rules.md)'
            when {{ rows }}.{{ quantity }} is null then 'quantity is empty'
            when {{ rows }}.{{ quantity }} < 0 then 'quantity is negative'
            {%- if sku_required %}
            when nullif(trim({{ rows }}.sku), '') is null then 'sku is missing'
            {%- endif %}
            when nullif(trim({{ rows }}.product_name), '') is null then 'product_name is missing'
{%- endmacro %}
