{#
  Rows whose input had more than one copy (a `copies` column > 1). The package keeps one copy by a
  fixed rule and reports the rest in klaviyo__rejected_rows, so this test is meant to warn, not
  fail: the build stays green and the duplicate is still visible
  (https://docs.getdbt.com/reference/resource-configs/severity).
#}
{% test klaviyo_single_copy(model, column_name) %}
select {{ column_name }} as copies
from {{ model }}
where {{ column_name }} > 1
{% endtest %}
