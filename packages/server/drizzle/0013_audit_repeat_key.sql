ALTER TABLE `audit_events` ADD `repeat_key` text;--> statement-breakpoint
CREATE UNIQUE INDEX `audit_events_repeat_key_idx` ON `audit_events` (`repeat_key`);--> statement-breakpoint
-- A repeated refusal adds to its row's count through this key (an upsert), so the key is as fixed as the rest of the row.
DROP TRIGGER `audit_events_no_update`;
--> statement-breakpoint
CREATE TRIGGER `audit_events_no_update` BEFORE UPDATE OF `id`, `at`, `actor_id`, `action`, `outcome`, `target_type`, `target_id`, `detail`, `repeat_key` ON `audit_events` BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
