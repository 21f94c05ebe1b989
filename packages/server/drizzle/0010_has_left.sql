ALTER TABLE `conversation_users` RENAME COLUMN "left" TO "has_left";--> statement-breakpoint
DROP INDEX `conversation_users_user_idx`;--> statement-breakpoint
CREATE INDEX `conversation_users_user_idx` ON `conversation_users` (`user_id`,`participant`,`has_left`,`trashed`);