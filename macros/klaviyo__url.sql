{#
  The product and image links of Items, Viewed Product and Added to Cart (Klaviyo's ProductURL /
  URL and ImageURL, https://developers.klaviyo.com/en/docs/guide_to_integrating_a_platform_without_a_pre_built_klaviyo_integration).
  The shop's own link wins: an input's product_url / image_url column, when it has one and the
  row's is not blank, is taken as it is. Else the link is built on klaviyo__store_url from the
  product id (/products/<id>) or the sku (/images/<sku>.jpg), the id or sku percent-encoded as one
  path segment and never lower-cased: a path is case-sensitive (RFC 3986 section 6.2.2.1,
  https://www.rfc-editor.org/rfc/rfc3986#section-6.2.2.1), and "größe m" or "ABC?v=2" would
  otherwise name another page or start a query string.
#}

{#
  Text as one URL path segment: every UTF-8 byte except the unreserved characters (A-Z a-z 0-9
  - . _ ~, RFC 3986 section 2.3) as %XX in upper case (section 2.1), "/" included.
#}
{% macro klaviyo__url_segment(expr) -%}
  {{ return(adapter.dispatch('klaviyo__url_segment', 'klaviyo_runner')(expr)) }}
{%- endmacro %}

{# DuckDB's url_encode keeps exactly the unreserved characters (https://duckdb.org/docs/stable/sql/functions/text#url_encodestring). #}
{% macro default__klaviyo__url_segment(expr) -%}
  url_encode({{ expr }})
{%- endmacro %}

{#
  Snowflake has no URL encoding function. The text's UTF-8 bytes as upper-case hex
  (https://docs.snowflake.com/en/sql-reference/functions/hex_encode), one pair and a space per byte;
  an unreserved byte's pair loses its space, and every pair still followed by one is rewritten as
  the hex of the three characters "%XY" ("25", then each digit's own hex: 0-9 are 30-39, A-F are
  41-46); hex_decode_string then reads it all back as text
  (https://docs.snowflake.com/en/sql-reference/functions/hex_decode_string). A pattern never
  matches across two bytes: the space after a pair is the only one, and no pattern holds a space
  but at its end. Each step is one call over the whole text, so the SQL stays shallow.
#}
{% macro snowflake__klaviyo__url_segment(expr) -%}
  {%- set sql = "regexp_replace(hex_encode(" ~ expr ~ "), '(..)', '\\\\1 ')" -%}
  {%- set sql = "regexp_replace(" ~ sql ~ ", '(2D|2E|3[0-9]|4[1-9A-F]|5[0-9AF]|6[1-9A-F]|7[0-9AE]) ', '\\\\1')" -%}
  {%- set sql = "regexp_replace(" ~ sql ~ ", '([0-9A-F])([0-9A-F]) ', '25#\\\\1#\\\\2')" -%}
  {%- set sql = "regexp_replace(" ~ sql ~ ", '#([0-9])', '3\\\\1')" -%}
  {%- for letter in 'ABCDEF' -%}
    {%- set sql = "replace(" ~ sql ~ ", '#" ~ letter ~ "', '4" ~ loop.index ~ "')" -%}
  {%- endfor -%}
  hex_decode_string({{ sql }})
{%- endmacro %}

{#
  klaviyo__store_url as a SQL string, without the trailing slash a var may have, so a link never
  holds "//products".
#}
{% macro klaviyo__store_url() -%}
  {{ klaviyo_runner.klaviyo__pattern_literal((var('klaviyo__store_url') | string).strip().rstrip('/')) }}
{%- endmacro %}

{# The shop's link when given, else the store's page of the product. #}
{% macro klaviyo__product_url(given, product_id) -%}
  coalesce(nullif(trim({{ given }}), ''), {{ klaviyo_runner.klaviyo__store_url() }} || '/products/' || {{ klaviyo_runner.klaviyo__url_segment(product_id) }})
{%- endmacro %}

{# The shop's image link when given, else the store's image of the sku. #}
{% macro klaviyo__image_url(given, sku) -%}
  coalesce(nullif(trim({{ given }}), ''), {{ klaviyo_runner.klaviyo__store_url() }} || '/images/' || {{ klaviyo_runner.klaviyo__url_segment(sku) }} || '.jpg')
{%- endmacro %}
