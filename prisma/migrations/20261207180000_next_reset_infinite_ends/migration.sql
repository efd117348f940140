-- A period end of PostgreSQL's `infinity` never comes; one of `-infinity` has always passed, and counting periods from
-- it failed ("cannot subtract infinite timestamps"), which failed the whole spend write it was part of. Such a period
-- is now followed by one that ends one duration from now, as a first period does.
CREATE OR REPLACE FUNCTION llmgw_next_reset(at TIMESTAMPTZ, duration TEXT, now TIMESTAMPTZ) RETURNS TIMESTAMPTZ
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  n INTEGER := substring(duration FROM '^([0-9]+)')::INTEGER;
  unit TEXT := substring(duration FROM '^[0-9]+(s|m|h|d|w|mo|y)$');
  step INTERVAL;
  months INTEGER;
  k BIGINT;
  result TIMESTAMPTZ;
BEGIN
  IF at IS NULL OR n IS NULL OR unit IS NULL OR n <= 0 THEN
    RETURN NULL;
  END IF;
  IF at = 'infinity' THEN
    RETURN at;
  ELSIF at = '-infinity' THEN
    at := now;
  END IF;
  IF unit IN ('mo', 'y') THEN
    months := CASE WHEN unit = 'y' THEN 12 * n ELSE n END;
    k := GREATEST(1, ((EXTRACT(YEAR FROM age(now AT TIME ZONE 'UTC', at AT TIME ZONE 'UTC')) * 12
      + EXTRACT(MONTH FROM age(now AT TIME ZONE 'UTC', at AT TIME ZONE 'UTC')))::BIGINT) / months);
    LOOP
      result := ((at AT TIME ZONE 'UTC') + make_interval(months => (k * months)::INTEGER)) AT TIME ZONE 'UTC';
      EXIT WHEN result > now;
      k := k + 1;
    END LOOP;
    RETURN result;
  END IF;
  step := n * CASE unit
    WHEN 's' THEN INTERVAL '1 second'
    WHEN 'm' THEN INTERVAL '1 minute'
    WHEN 'h' THEN INTERVAL '1 hour'
    WHEN 'd' THEN INTERVAL '1 day'
    ELSE INTERVAL '7 days'
  END;
  k := GREATEST(1, FLOOR(EXTRACT(EPOCH FROM (now - at)) / EXTRACT(EPOCH FROM step))::BIGINT + 1);
  RETURN at + step * k;
END
$$;
