-- Issue 12: trending counts a song once however its mashups title it.
--
-- Two rips of one song have different compressed Chromaprint strings, so
-- equality cannot group them; `python -m backend.jobs trending` (service
-- role) decodes the fingerprints of recent sources, groups them by recording
-- (audio_engine.fingerprint.group_recordings: bit agreement at the best
-- alignment) and stores the group in mashup_sources.recording_key
-- ('fp:<mashup id>:<position>' of the group's first source). Ranking groups by
-- that key; a source without a fingerprint (or not grouped yet, e.g. published
-- after the last job run when pg_cron recomputes) joins the recording of a
-- source with the same normalised artist and title, else counts by its title.
-- A mashup that uses one recording twice counts once for it.

-- A ranked sound carries a real fingerprint (the studio matches it against its
-- library): 500 characters held only ~15 s of audio (a 30 s song's is ~900, two
-- minutes' ~3500), so ranking a real published song failed the check. Same
-- bound as the source's own fingerprint column.
alter table public.trending_sounds drop constraint trending_sounds_text_size;
alter table public.trending_sounds add constraint trending_sounds_text_size
  check (length(title) <= 300 and length(artist) <= 300 and (fingerprint is null or length(fingerprint) <= 20000));

alter table public.mashup_sources
  add column recording_key text check (recording_key is null or length(recording_key) <= 100);
create index mashup_sources_recording on public.mashup_sources (recording_key) where recording_key is not null;

create or replace function private.compute_trending() returns int
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
declare
  v_day date := (now() at time zone 'utc')::date;
  n int;
begin
  perform pg_advisory_xact_lock(hashtextextended('community-trending', 0));
  delete from public.trending_sounds where window_start = v_day;
  insert into public.trending_sounds (title, artist, fingerprint, score, window_start, sound_key, mashups, rank)
  select title, artist, fingerprint, score, v_day, k, mashups, rank() over (order by score desc, k)
    from (
      select u.k,
             (array_agg(u.title order by u.created_at desc))[1] as title,
             (array_agg(u.artist order by u.created_at desc))[1] as artist,
             (array_agg(u.fingerprint order by u.created_at desc) filter (where u.fingerprint is not null))[1]
               as fingerprint,
             count(*)::int as mashups,
             sum(u.weight) as score
        from (
          -- one row per (recording, mashup): the same song twice in one mashup counts once
          select distinct on (k.k, m.id) k.k, m.id, m.created_at, s.title, s.artist, s.fingerprint,
                 exp(-extract(epoch from now() - m.created_at) / (7 * 86400.0))
                   * (1 + ln(1 + m.play_count)
                      + 0.5 * (select count(*) from public.battle_votes v where v.choice = m.id)) as weight
            from public.mashup_sources s
            join public.mashups m on m.id = s.mashup_id
            cross join lateral (
              select coalesce(s.recording_key,
                              (select min(o.recording_key) from public.mashup_sources o
                                where o.sound_key = s.sound_key and o.recording_key is not null),
                              s.sound_key) as k) k
           where m.visibility = 'public' and m.created_at > now() - interval '30 days'
           order by k.k, m.id, s.fingerprint is null, s.position) u
       group by u.k) t
   order by score desc
   limit 200;
  get diagnostics n = row_count;
  return n;
end
$$;
revoke all on function private.compute_trending() from public, anon, authenticated;
