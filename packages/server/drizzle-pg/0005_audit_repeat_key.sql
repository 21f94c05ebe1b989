ALTER TABLE "audit_events" ADD COLUMN "repeat_key" text;--> statement-breakpoint
CREATE UNIQUE INDEX "audit_events_repeat_key_idx" ON "audit_events" USING btree ("repeat_key");--> statement-breakpoint
-- A repeated refusal adds to its row's count through this key (an upsert), so the key is as fixed as the rest of the row.
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'audit_events is append-only';
  END IF;
  IF (NEW.id, NEW.at, NEW.actor_id, NEW.action, NEW.outcome, NEW.target_type, NEW.target_id, NEW.detail, NEW.repeat_key)
     IS DISTINCT FROM (OLD.id, OLD.at, OLD.actor_id, OLD.action, OLD.outcome, OLD.target_type, OLD.target_id, OLD.detail, OLD.repeat_key) THEN
    RAISE EXCEPTION 'audit_events is append-only';
  END IF;
  IF NEW.count < OLD.count THEN
    RAISE EXCEPTION 'audit_events counts only grow';
  END IF;
  RETURN NEW;
END;
$$;
