-- Search folds diacritics with unaccent (src/store/postgres/search.ts); PostgreSQL ships it in contrib, and it is
-- a trusted extension, so the owner of the database may create it.
CREATE EXTENSION IF NOT EXISTS unaccent;
--> statement-breakpoint
-- audit_events is append-only, as on SQLite: rows are never deleted, and only a repeated refusal's count changes,
-- upwards (domain/audit.ts).
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'audit_events is append-only';
  END IF;
  IF (NEW.id, NEW.at, NEW.actor_id, NEW.action, NEW.outcome, NEW.target_type, NEW.target_id, NEW.detail)
     IS DISTINCT FROM (OLD.id, OLD.at, OLD.actor_id, OLD.action, OLD.outcome, OLD.target_type, OLD.target_id, OLD.detail) THEN
    RAISE EXCEPTION 'audit_events is append-only';
  END IF;
  IF NEW.count < OLD.count THEN
    RAISE EXCEPTION 'audit_events counts only grow';
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
