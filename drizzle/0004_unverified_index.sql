-- Added only when missing: a database set up by `drizzle-kit push` already has the index, and MySQL 8 has no CREATE INDEX IF NOT EXISTS.
SET @taproom_add_index = (SELECT IF(COUNT(*) = 0, 'CREATE INDEX `users_unverified_idx` ON `users` (`email_verified_at`,`created_at`)', 'DO 0') FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = 'users' AND index_name = 'users_unverified_idx');--> statement-breakpoint
PREPARE taproom_add_index FROM @taproom_add_index;--> statement-breakpoint
EXECUTE taproom_add_index;--> statement-breakpoint
DEALLOCATE PREPARE taproom_add_index;
