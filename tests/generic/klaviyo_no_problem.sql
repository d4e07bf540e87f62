{#
  Rows whose input value a rule refused (a `<column>_problem` column that is not null). The model
  has already taken the safe reading and reported it, so this test is meant to warn, not fail: the
  build stays green and the bad input is visible
  (https://docs.getdbt.com/reference/resource-configs/severity).
#}
{% test klaviyo_no_problem(model, column_name) %}
select {{ column_name }} as problem
from {{ model }}
where {{ column_name }} is not null
{% endtest %}
