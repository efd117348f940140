-- A key with a budget takes the budget's model_max_budget when it has none of its own (missing or {}), as LiteLLM
-- does: listed in budget_limits and copied into the key's `extra` (budgets.repository.ts applyToKeys).
UPDATE "virtual_keys" AS v SET
  "budget_limits" = array_append(v.budget_limits, 'model_max_budget'),
  "extra" = jsonb_set(v.extra, '{model_max_budget}', b.model_max_budget)
  FROM "budgets" AS b
  WHERE b.budget_id = v.budget_id AND jsonb_typeof(b.model_max_budget) = 'object'
    AND NOT ('model_max_budget' = ANY(v.budget_limits))
    AND (v.extra->'model_max_budget' IS NULL OR v.extra->'model_max_budget' IN ('null'::jsonb, '{}'::jsonb));
