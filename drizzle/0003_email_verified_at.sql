-- Added only when missing: a database set up by `drizzle-kit push` already has the column, and MySQL 8 has no ADD COLUMN IF NOT EXISTS.
SET @taproom_add_column = (SELECT IF(COUNT(*) = 0, 'ALTER TABLE `users` ADD `email_verified_at` timestamp NULL', 'DO 0') FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = 'users' AND column_name = 'email_verified_at');--> statement-breakpoint
PREPARE taproom_add_column FROM @taproom_add_column;--> statement-breakpoint
EXECUTE taproom_add_column;--> statement-breakpoint
DEALLOCATE PREPARE taproom_add_column;--> statement-breakpoint
-- Accounts made before sign-up needed a verified address stay usable.
UPDATE `users` SET `email_verified_at` = `created_at` WHERE `email_verified_at` IS NULL;
