-- Written by hand: drizzle-kit cannot express UNLOGGED tables. The counters every instance shares
-- (src/store/postgres/cluster/counters.ts, SHARED_COUNTERS_DDL): rate limits, failed sign-ins and the like.
CREATE UNLOGGED TABLE "shared_counters" (
	"key" text PRIMARY KEY,
	"window_start" bigint NOT NULL,
	"count" bigint NOT NULL,
	"refused" boolean NOT NULL DEFAULT false
);
--> statement-breakpoint
CREATE INDEX "shared_counters_window_idx" ON "shared_counters" ("window_start");
--> statement-breakpoint
CREATE SEQUENCE "shared_versions_seq";
--> statement-breakpoint
CREATE UNLOGGED TABLE "shared_versions" ("key" text PRIMARY KEY, "version" bigint NOT NULL);
