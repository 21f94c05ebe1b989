-- The search index again, with a prefix index for 3-character prefixes (the shortest a search may use): such a
-- prefix is then one doclist that FTS5 walks within the caller's scope, instead of the merge of every word that
-- starts with it across the whole index.
CREATE VIRTUAL TABLE `message_search_next` USING fts5(subject, body, scope, tokenize = 'unicode61 remove_diacritics 2', prefix = '3');
--> statement-breakpoint
INSERT INTO `message_search_next` (rowid, subject, body, scope) SELECT rowid, subject, body, scope FROM `message_search`;
--> statement-breakpoint
DROP TABLE `message_search`;
--> statement-breakpoint
ALTER TABLE `message_search_next` RENAME TO `message_search`;
