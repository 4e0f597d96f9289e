// Lua scripts of redis_registry: each multi-key change runs as one script, so it is atomic.
// Internal header. Scripts compute key names from the prefix (ARGV[1]): single Redis only.
#pragma once

namespace mf::cluster::scripts {

// Errors come back as "CONFLICT ...", "NOTFOUND ...", "INVALID ..." and map to mf::errc.

inline constexpr const char* insert_tenant = R"lua(
local P, t = ARGV[1], ARGV[2]
if redis.call('SISMEMBER', P..'tenants', t) == 1 then
  return redis.error_reply('CONFLICT tenant '..t..' exists') end
redis.call('SADD', P..'tenants', t)
redis.call('HSET', P..'tenant:'..t, 'created_at', ARGV[3], 'quota', ARGV[4])
redis.call('HSET', P..'tenant:'..t..':keys', ARGV[5], ARGV[7])
redis.call('SET', P..'key:'..ARGV[6], ARGV[7])
redis.call('PUBLISH', P..'events', ARGV[8])
return 1
)lua";

inline constexpr const char* insert_key = R"lua(
local P, t = ARGV[1], ARGV[2]
if redis.call('SISMEMBER', P..'tenants', t) == 0 then
  return redis.error_reply('NOTFOUND tenant '..t..' not found') end
redis.call('HSET', P..'tenant:'..t..':keys', ARGV[3], ARGV[5])
redis.call('SET', P..'key:'..ARGV[4], ARGV[5])
return 1
)lua";

inline constexpr const char* set_quota = R"lua(
local P, t = ARGV[1], ARGV[2]
if redis.call('SISMEMBER', P..'tenants', t) == 0 then
  return redis.error_reply('NOTFOUND tenant '..t..' not found') end
redis.call('HSET', P..'tenant:'..t, 'quota', ARGV[3])
redis.call('PUBLISH', P..'events', ARGV[4])
return 1
)lua";

inline constexpr const char* delete_key = R"lua(
local P, t, id = ARGV[1], ARGV[2], ARGV[3]
local k = redis.call('HGET', P..'tenant:'..t..':keys', id)
if not k then return redis.error_reply('NOTFOUND key not found') end
redis.call('DEL', P..'key:'..cjson.decode(k).hash)
redis.call('HDEL', P..'tenant:'..t..':keys', id)
return 1
)lua";

inline constexpr const char* delete_tenant = R"lua(
local P, t = ARGV[1], ARGV[2]
if redis.call('SISMEMBER', P..'tenants', t) == 0 then
  return redis.error_reply('NOTFOUND tenant '..t..' not found') end
for _, k in ipairs(redis.call('HVALS', P..'tenant:'..t..':keys')) do
  redis.call('DEL', P..'key:'..cjson.decode(k).hash)
end
local models = redis.call('SUNION', P..'tenant:'..t..':models', P..'tenant:'..t..':seqs')
for _, m in ipairs(models) do
  local mk = P..'model:'..t..':'..m
  redis.call('DEL', mk, mk..':versions', mk..':history', mk..':seq')
end
for _, id in ipairs(redis.call('ZRANGE', P..'tenant:'..t..':jobs', 0, -1)) do
  redis.call('DEL', P..'job:'..id)
  redis.call('ZREM', P..'jobs:unfinished', id)
end
redis.call('DEL', P..'tenant:'..t, P..'tenant:'..t..':keys', P..'tenant:'..t..':models',
  P..'tenant:'..t..':seqs', P..'tenant:'..t..':jobs', P..'queue:'..t)
redis.call('LREM', P..'queue:ring', 0, t)
redis.call('SREM', P..'tenants', t)
redis.call('PUBLISH', P..'events', cjson.encode({type='tenant_deleted', tenant=t}))
return 1
)lua";

inline constexpr const char* reserve_version = R"lua(
local P, t, m = ARGV[1], ARGV[2], ARGV[3]
if redis.call('SISMEMBER', P..'tenants', t) == 0 then
  return redis.error_reply('NOTFOUND tenant '..t..' not found') end
redis.call('SADD', P..'tenant:'..t..':seqs', m)
return redis.call('INCR', P..'model:'..t..':'..m..':seq')
)lua";

// Shared by the activation scripts: sets the active pointer, records history, publishes.
#define MF_LUA_ACTIVATE                                                                          \
  "local function mf_activate(P, t, m, v, now, reason, by)\n"                                    \
  "  local mk = P..'model:'..t..':'..m\n"                                                        \
  "  local from = tonumber(redis.call('HGET', mk, 'active') or '0')\n"                           \
  "  if from == v then return {from, v} end\n"                                                   \
  "  redis.call('HSET', mk, 'active', v, 'updated_at', now)\n"                                   \
  "  redis.call('LPUSH', mk..':history', '{\"at\":'..now..',\"from\":'..from..',\"to\":'..v..\n" \
  "    ',\"reason\":'..cjson.encode(reason)..',\"by\":'..cjson.encode(by)..'}')\n"               \
  "  redis.call('LTRIM', mk..':history', 0, 999)\n"                                              \
  "  redis.call('PUBLISH', P..'events', '{\"type\":\"activated\",\"tenant\":\"'..t..\n"          \
  "    '\",\"model\":\"'..m..'\",\"from\":'..from..',\"to\":'..v..'}')\n"                        \
  "  return {from, v}\n"                                                                         \
  "end\n"

// ARGV: P, t, m, version, version_json, activate(0/1), now, reason, by
inline constexpr const char* publish_version = MF_LUA_ACTIVATE R"lua(
local P, t, m, v = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
if redis.call('SISMEMBER', P..'tenants', t) == 0 then
  return redis.error_reply('NOTFOUND tenant '..t..' not found') end
local mk = P..'model:'..t..':'..m
local seq = tonumber(redis.call('GET', mk..':seq') or '0')
if v <= 0 or v > seq then return redis.error_reply('INVALID version id was not reserved') end
if redis.call('HEXISTS', mk..':versions', v) == 1 then
  return redis.error_reply('CONFLICT version '..v..' exists') end
redis.call('HSET', mk..':versions', v, ARGV[5])
redis.call('SADD', P..'tenant:'..t..':models', m)
redis.call('HSETNX', mk, 'active', 0)
redis.call('HSET', mk, 'updated_at', ARGV[7])
if ARGV[6] == '1' then mf_activate(P, t, m, v, ARGV[7], ARGV[8], ARGV[9]) end
return 1
)lua";

// ARGV: P, t, m, version, now, reason, by -> {from, to}
inline constexpr const char* activate = MF_LUA_ACTIVATE R"lua(
local P, t, m, v = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local mk = P..'model:'..t..':'..m
if redis.call('SISMEMBER', P..'tenant:'..t..':models', m) == 0 then
  return redis.error_reply('NOTFOUND model '..m..' not found') end
if redis.call('HEXISTS', mk..':versions', v) == 0 then
  return redis.error_reply('NOTFOUND version '..v..' not found') end
return mf_activate(P, t, m, v, ARGV[5], ARGV[6], ARGV[7])
)lua";

// ARGV: P, t, m, now, by -> {from, to}
inline constexpr const char* rollback = MF_LUA_ACTIVATE R"lua(
local P, t, m = ARGV[1], ARGV[2], ARGV[3]
local mk = P..'model:'..t..':'..m
if redis.call('SISMEMBER', P..'tenant:'..t..':models', m) == 0 then
  return redis.error_reply('NOTFOUND model '..m..' not found') end
local active = tonumber(redis.call('HGET', mk, 'active') or '0')
for _, h in ipairs(redis.call('LRANGE', mk..':history', 0, -1)) do
  local e = cjson.decode(h)
  if tonumber(e.to) == active then
    local prev = tonumber(e.from)
    if prev ~= 0 and redis.call('HEXISTS', mk..':versions', prev) == 1 then
      return mf_activate(P, t, m, prev, ARGV[4], 'rollback', ARGV[5])
    end
    break
  end
end
return redis.error_reply('CONFLICT no previous active version to roll back to')
)lua";

// ARGV: P, t, m, version, force(0/1), now, by
inline constexpr const char* delete_version = R"lua(
local P, t, m, v = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local mk = P..'model:'..t..':'..m
if redis.call('SISMEMBER', P..'tenant:'..t..':models', m) == 0 then
  return redis.error_reply('NOTFOUND model '..m..' not found') end
if redis.call('HEXISTS', mk..':versions', v) == 0 then
  return redis.error_reply('NOTFOUND version '..v..' not found') end
local active = tonumber(redis.call('HGET', mk, 'active') or '0')
if active == v then
  if ARGV[5] ~= '1' then return redis.error_reply('CONFLICT version is active (use force)') end
  redis.call('HSET', mk, 'active', 0)
  redis.call('LPUSH', mk..':history', '{"at":'..ARGV[6]..',"from":'..v..',"to":0,"reason":"delete","by":'..cjson.encode(ARGV[7])..'}')
  redis.call('LTRIM', mk..':history', 0, 999)
  redis.call('PUBLISH', P..'events', '{"type":"activated","tenant":"'..t..'","model":"'..m..'","from":'..v..',"to":0}')
end
redis.call('HDEL', mk..':versions', v)
redis.call('HSET', mk, 'updated_at', ARGV[6])
redis.call('PUBLISH', P..'events', '{"type":"version_deleted","tenant":"'..t..'","model":"'..m..'","version":'..v..'}')
return 1
)lua";

inline constexpr const char* delete_model = R"lua(
local P, t, m = ARGV[1], ARGV[2], ARGV[3]
local mk = P..'model:'..t..':'..m
if redis.call('SISMEMBER', P..'tenant:'..t..':models', m) == 0 then
  return redis.error_reply('NOTFOUND model '..m..' not found') end
-- the :seq counter stays so that ids are never reused (delete_tenant removes it)
redis.call('DEL', mk, mk..':versions', mk..':history')
redis.call('SREM', P..'tenant:'..t..':models', m)
redis.call('PUBLISH', P..'events', cjson.encode({type='model_deleted', tenant=t, model=m}))
return 1
)lua";

// ARGV: P, tenant, id, seq, job_json
inline constexpr const char* create_job = R"lua(
local P, t, id, seq = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
if redis.call('SISMEMBER', P..'tenants', t) == 0 then
  return redis.error_reply('NOTFOUND tenant '..t..' not found') end
if tonumber(seq) > tonumber(redis.call('GET', P..'job_seq') or '0') then
  return redis.error_reply('INVALID job id '..id..' was not reserved') end
if redis.call('EXISTS', P..'job:'..id) == 1 then
  return redis.error_reply('CONFLICT job '..id..' exists') end
redis.call('SET', P..'job:'..id, ARGV[5])
redis.call('ZADD', P..'tenant:'..t..':jobs', seq, id)
redis.call('ZADD', P..'jobs:unfinished', seq, id)
if redis.call('LLEN', P..'queue:'..t) == 0 then redis.call('RPUSH', P..'queue:ring', t) end
redis.call('RPUSH', P..'queue:'..t, id)
redis.call('PUBLISH', P..'events', cjson.encode({type='job_queued', job_id=id, tenant=t}))
return 1
)lua";

// ARGV: P, id, job_json, finished(0/1)
inline constexpr const char* update_job = R"lua(
local P, id = ARGV[1], ARGV[2]
if redis.call('EXISTS', P..'job:'..id) == 0 then return redis.error_reply('NOTFOUND job not found') end
redis.call('SET', P..'job:'..id, ARGV[3])
if ARGV[4] == '1' then redis.call('ZREM', P..'jobs:unfinished', id) end
return 1
)lua";

// Fenced replace. ARGV: P, id, expected_attempt, job_json, finished(0/1)
inline constexpr const char* update_job_fenced = R"lua(
local P, id = ARGV[1], ARGV[2]
local raw = redis.call('GET', P..'job:'..id)
if not raw then return redis.error_reply('NOTFOUND job not found') end
local cur = cjson.decode(raw)
if tonumber(cur.attempts) ~= tonumber(ARGV[3]) then
  return redis.error_reply('CONFLICT job is at attempt '..tostring(cur.attempts)) end
if cur.status == 'succeeded' or cur.status == 'failed' or cur.status == 'cancelled' then
  return redis.error_reply('CONFLICT job already '..cur.status) end
local new = ARGV[4]
if cur.cancel_requested == true then
  local n = cjson.decode(new)
  if n.cancel_requested ~= true then
    n.cancel_requested = true
    new = cjson.encode(n)
  end
end
redis.call('SET', P..'job:'..id, new)
if ARGV[5] == '1' then redis.call('ZREM', P..'jobs:unfinished', id) end
return 1
)lua";

// Field-level patch by the worker of one attempt (cjson re-encodes only this record).
// ARGV: P, id, attempt, patch_json (fields to set), now (sets started_at if it is 0, '' = no)
inline constexpr const char* patch_running_job = R"lua(
local P, id = ARGV[1], ARGV[2]
local raw = redis.call('GET', P..'job:'..id)
if not raw then return redis.error_reply('NOTFOUND job not found') end
local cur = cjson.decode(raw)
if tonumber(cur.attempts) ~= tonumber(ARGV[3]) then
  return redis.error_reply('CONFLICT job is at attempt '..tostring(cur.attempts)) end
if cur.status ~= 'running' then return redis.error_reply('CONFLICT job is '..cur.status) end
for k, v in pairs(cjson.decode(ARGV[4])) do cur[k] = v end
if ARGV[5] ~= '' and tonumber(cur.started_at or 0) == 0 then cur.started_at = tonumber(ARGV[5]) end
redis.call('SET', P..'job:'..id, cjson.encode(cur))
return 1
)lua";

// ARGV: P -> job json or nil. Round robin: a tenant goes back to the END of the ring after
// one of its jobs was taken, so each tenant with work gets one job per turn.
inline constexpr const char* dequeue_fair = R"lua(
local P = ARGV[1]
while true do
  local t = redis.call('LPOP', P..'queue:ring')
  if not t then return false end
  local id = redis.call('LPOP', P..'queue:'..t)
  if id then
    if redis.call('LLEN', P..'queue:'..t) > 0 then redis.call('RPUSH', P..'queue:ring', t) end
    local j = redis.call('GET', P..'job:'..id)
    if j then return j end
  end
end
)lua";

// ARGV: P, id, tenant
inline constexpr const char* requeue_job = R"lua(
local P, id, t = ARGV[1], ARGV[2], ARGV[3]
local j = redis.call('GET', P..'job:'..id)
if not j then return redis.error_reply('NOTFOUND job not found') end
if cjson.decode(j).status ~= 'queued' then
  return redis.error_reply('CONFLICT only a queued job can be requeued') end
if redis.call('LPOS', P..'queue:'..t, id) then return 1 end
if redis.call('LLEN', P..'queue:'..t) == 0 then redis.call('RPUSH', P..'queue:ring', t) end
redis.call('LPUSH', P..'queue:'..t, id)
return 1
)lua";

// Compare-and-set of a job record (the C++ side decided the new record from `old`).
// ARGV: P, id, tenant, old_json, new_json, finished(0/1), dequeue(0/1), event or ''
inline constexpr const char* cas_job = R"lua(
local P, id, t = ARGV[1], ARGV[2], ARGV[3]
local cur = redis.call('GET', P..'job:'..id)
if not cur then return redis.error_reply('NOTFOUND job not found') end
if cur ~= ARGV[4] then return 0 end
redis.call('SET', P..'job:'..id, ARGV[5])
if ARGV[6] == '1' then redis.call('ZREM', P..'jobs:unfinished', id) end
if ARGV[7] == '1' then
  redis.call('LREM', P..'queue:'..t, 0, id)
  if redis.call('LLEN', P..'queue:'..t) == 0 then redis.call('LREM', P..'queue:ring', 0, t) end
end
if ARGV[8] ~= '' then redis.call('PUBLISH', P..'events', ARGV[8]) end
return 1
)lua";

// ARGV: P, node, draining(0/1), event
inline constexpr const char* set_draining = R"lua(
local P, n = ARGV[1], ARGV[2]
if redis.call('SISMEMBER', P..'nodes', n) == 0 then
  return redis.error_reply('NOTFOUND node '..n..' not found') end
if ARGV[3] == '1' then redis.call('SADD', P..'nodes:draining', n)
else redis.call('SREM', P..'nodes:draining', n) end
redis.call('PUBLISH', P..'events', ARGV[4])
return 1
)lua";

// ARGV: P, epoch, placement_json, event. Fencing: only a newer epoch may be written.
inline constexpr const char* put_placement = R"lua(
local P, e = ARGV[1], tonumber(ARGV[2])
local cur = tonumber(redis.call('GET', P..'placement:epoch') or '0')
if e <= cur then
  return redis.error_reply('CONFLICT placement epoch '..e..' is not newer than '..cur) end
redis.call('SET', P..'placement:epoch', e)
redis.call('SET', P..'placement', ARGV[3])
redis.call('PUBLISH', P..'events', ARGV[4])
return 1
)lua";

// ARGV: P, name, owner, ttl_ms -> fencing epoch
inline constexpr const char* acquire_lease = R"lua(
local k = ARGV[1]..'lease:'..ARGV[2]
local cur = redis.call('GET', k)
if cur == ARGV[3] then
  redis.call('PEXPIRE', k, ARGV[4])
  return tonumber(redis.call('GET', k..':epoch') or '0')
end
if cur then return redis.error_reply('CONFLICT lease held by another owner') end
redis.call('SET', k, ARGV[3], 'PX', ARGV[4])
return redis.call('INCR', k..':epoch')
)lua";

inline constexpr const char* renew_lease = R"lua(
local k = ARGV[1]..'lease:'..ARGV[2]
if redis.call('GET', k) ~= ARGV[3] then return redis.error_reply('CONFLICT lease lost') end
redis.call('PEXPIRE', k, ARGV[4])
return 1
)lua";

inline constexpr const char* release_lease = R"lua(
local k = ARGV[1]..'lease:'..ARGV[2]
if redis.call('GET', k) == ARGV[3] then redis.call('DEL', k) end
return 1
)lua";

}  // namespace mf::cluster::scripts
