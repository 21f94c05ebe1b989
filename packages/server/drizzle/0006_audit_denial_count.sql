ALTER TABLE `audit_events` ADD `count` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
-- Rows stay append-only, except that a repeated refusal adds to the count of the row it repeats; a count never goes down.
DROP TRIGGER `audit_events_no_update`;
--> statement-breakpoint
CREATE TRIGGER `audit_events_no_update` BEFORE UPDATE OF `id`, `at`, `actor_id`, `action`, `outcome`, `target_type`, `target_id`, `detail` ON `audit_events` BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
--> statement-breakpoint
CREATE TRIGGER `audit_events_count_grows` BEFORE UPDATE OF `count` ON `audit_events` WHEN NEW.`count` < OLD.`count` BEGIN SELECT RAISE(ABORT, 'audit_events counts only grow'); END;
