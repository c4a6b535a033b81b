-- Generated from backend/tiers.json by 'python -m backend.tiers'. Do not edit by hand;
-- tests/cloud/test_tiers.py fails when the two disagree.
insert into public.tiers (tier, rank, label, limits) values
  ('free', 0, 'Free', '{"ai_jobs_per_month": 3, "max_collaborators": 1, "max_projects": 5, "published_mashups_per_month": 3, "storage_bytes": 524288000}'::jsonb),
  ('pro', 1, 'Pro', '{"ai_jobs_per_month": 100, "max_collaborators": 5, "max_projects": 100, "published_mashups_per_month": 50, "storage_bytes": 21474836480}'::jsonb),
  ('studio', 2, 'Studio', '{"ai_jobs_per_month": 1000, "max_collaborators": 20, "max_projects": null, "published_mashups_per_month": null, "storage_bytes": 214748364800}'::jsonb)
on conflict (tier) do update set rank = excluded.rank, label = excluded.label, limits = excluded.limits;
