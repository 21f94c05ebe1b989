DROP INDEX `messages_conversation_idx`;--> statement-breakpoint
ALTER TABLE `messages` ADD `staff_only` integer DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX `messages_conversation_idx` ON `messages` (`conversation_id`,`seq`,`author_id`,`do_not_reply`,`staff_only`);--> statement-breakpoint
-- Existing messages: those of conversations no customer ever took part in (no customer has a row
-- in conversation_users) were written among staff and become staff-only; a customer added later
-- does not see them. Conversations a customer already took part in keep their messages as they were.
UPDATE `messages` SET `staff_only` = 1 WHERE `conversation_id` NOT IN (
  SELECT cu.`conversation_id` FROM `conversation_users` cu JOIN `users` u ON u.`id` = cu.`user_id` WHERE u.`role` = 'customer');--> statement-breakpoint
UPDATE `message_search` SET `scope` = replace(`scope`, 'vpublic', 'vhidden') WHERE rowid IN (SELECT `seq` FROM `messages` WHERE `staff_only` = 1);--> statement-breakpoint
UPDATE `conversations` SET `last_public_seq` = 0 WHERE `id` IN (SELECT `conversation_id` FROM `messages` WHERE `staff_only` = 1);
