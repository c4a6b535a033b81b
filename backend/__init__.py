"""Cloud side of Mashups Studio: Supabase migrations, tier definitions, billing service."""
