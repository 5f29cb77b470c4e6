-- wrk script of bench/intake_bench.py: POSTs valid, varied citizen submissions (DESIGN.md section 5) to
-- /api/v1/complaints, each with its own Idempotency-Key, and writes what it saw to $WRK_OUT as JSON.
--
-- Inputs (environment, set by intake_bench.py): WRK_CATEGORIES and WRK_REGIONS (comma-separated codes from
-- the seeded catalogues), WRK_CREDIT_CODES (valid GB 32100 codes), WRK_RUN (prefix that makes keys unique
-- across runs), WRK_SEED, WRK_OUT (result file).
--
-- Each thread counts the requests it wrote and the responses by status, and keeps the tracking code of
-- every 201, so the bench can check that each acknowledged submission is in the database.

local function split(s)
  local out = {}
  for item in string.gmatch(s or "", "[^,]+") do out[#out + 1] = item end
  return out
end

local CATEGORIES = split(os.getenv("WRK_CATEGORIES"))
local REGIONS = split(os.getenv("WRK_REGIONS"))
local CREDIT_CODES = split(os.getenv("WRK_CREDIT_CODES"))
local RUN = os.getenv("WRK_RUN") or tostring(os.time())
local SEED = tonumber(os.getenv("WRK_SEED") or "1")

local SURNAMES = {"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "林", "郑", "欧阳", "徐", "何"}
local GIVEN = {"伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "建华", "晓东"}
local PLACES = {"鼓楼", "台江", "仓山", "马尾", "晋安", "长乐", "闽侯", "福清", "五四路", "东街口", "万达"}
local SHOPS = {"电器商行", "超市", "家具城", "汽车销售服务有限公司", "餐饮店", "健身会所", "培训学校",
  "物业服务有限公司", "通讯营业厅", "药房", "美容美发店", "装修工程有限公司", "网络科技有限公司"}
local GOODS = {"电热水壶", "空调", "手机", "电动自行车", "羽绒服", "婴儿奶粉", "燃气灶", "冰箱", "笔记本电脑",
  "预付卡", "学区房", "二手车", "保健品", "月饼礼盒"}
local PROBLEMS = {"漏电", "质量问题拒不退货", "虚假宣传", "售后不履行三包", "缺斤短两", "收费不明",
  "退款难", "过期变质", "价格欺诈", "强制消费", "停业卷款", "噪声扰民"}
local DETAILS = {
  "本人于上月在该商家购买，使用不到一周即出现问题。",
  "多次与商家电话联系，对方一直推诿，至今未予解决。",
  "商家承诺七天无理由退货，但实际拒绝办理。",
  "发票和聊天记录均已保留，可以提供给工作人员核实。",
  "希望相关部门依法调查处理，维护消费者合法权益。",
  "同小区多名业主反映过类似情况，影响较大。",
  "夜间十点以后仍在施工，严重影响周边居民休息。",
  "请尽快安排人员上门核实，并告知处理进度。",
  "该店铺在电商平台的宣传与实物严重不符。",
  "涉及金额虽然不大，但商家态度恶劣，要求赔礼道歉。",
}
local STREETS = {"五一北路", "八一七中路", "工业路", "福飞路", "华林路", "湖东路", "杨桥中路", "江滨大道"}
-- Weighted kinds: mostly complaints (the 12315 reality), then reports, inquiries and the rest.
local KINDS = {"complaint", "complaint", "complaint", "complaint", "complaint", "complaint",
  "report", "report", "inquiry", "inquiry", "help", "suggestion", "praise"}

local function pick(list) return list[math.random(#list)] end

local function json_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
end

local function mobile()
  return "1" .. math.random(3, 9) .. string.format("%09d", math.random(0, 999999999))
end

local function person()
  return pick(SURNAMES) .. pick(GIVEN)
end

local function description()
  local parts = {}
  for i = 1, math.random(2, 5) do parts[i] = pick(DETAILS) end
  return table.concat(parts)
end

local function hotline(kind, category)
  -- What the web form suggests (complaints.services.catalogue.suggest_hotline).
  local first = category:sub(1, 1)
  if (kind == "complaint" or kind == "report") and (first == "G" or first == "S") then return "12315" end
  if first == "V" then return "12369" end
  return "12345"
end

local function body()
  local kind = pick(KINDS)
  local category = pick(CATEGORIES)
  local fields = {
    '"kind":' .. json_string(kind),
    '"channel":"web"',
    '"hotline":"' .. hotline(kind, category) .. '"',
    '"category_code":' .. json_string(category),
    '"region_code":' .. json_string(pick(REGIONS)),
    '"title":' .. json_string(pick(PLACES) .. pick(GOODS) .. pick(PROBLEMS)),
    '"description":' .. json_string(description()),
    '"is_confidential":' .. (math.random() < 0.1 and "true" or "false"),
  }
  if math.random() < 0.5 then
    fields[#fields + 1] = string.format('"amount_involved":"%d.%02d"', math.random(10, 20000), math.random(0, 99))
  end
  if math.random() < 0.4 then
    fields[#fields + 1] = '"address":' .. json_string("福州市" .. pick(STREETS) .. math.random(1, 300) .. "号")
  end
  local respondent = {'"name":' .. json_string(pick(PLACES) .. pick(SHOPS))}
  if math.random() < 0.3 and #CREDIT_CODES > 0 then
    respondent[#respondent + 1] = '"credit_code":' .. json_string(pick(CREDIT_CODES))
  end
  if kind == "complaint" or kind == "report" or math.random() < 0.3 then
    fields[#fields + 1] = '"respondent":{' .. table.concat(respondent, ",") .. "}"
  end
  -- Only reports may be anonymous; a fifth of them are.
  if not (kind == "report" and math.random() < 0.2) then
    local complainant = {'"name":' .. json_string(person()), '"mobile":"' .. mobile() .. '"'}
    if math.random() < 0.2 then
      complainant[#complainant + 1] = '"email":"u' .. math.random(1, 999999) .. '@example.cn"'
    end
    fields[#fields + 1] = '"complainant":{' .. table.concat(complainant, ",") .. "}"
  end
  return "{" .. table.concat(fields, ",") .. "}"
end

local threads = {}

function setup(thread)
  thread:set("thread_id", #threads + 1)
  threads[#threads + 1] = thread
end

function init(args)
  math.randomseed(SEED * 1000 + thread_id)
  sent, responses, created, statuses, codes = 0, 0, 0, {}, {}
end

function request()
  sent = sent + 1
  local headers = {
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = RUN .. "-" .. thread_id .. "-" .. sent,
  }
  return wrk.format("POST", wrk.path, headers, body())
end

function response(status, headers, body)
  responses = responses + 1
  statuses[tostring(status)] = (statuses[tostring(status)] or 0) + 1
  if status == 201 then
    created = created + 1
    codes[#codes + 1] = body:match('"tracking_code"%s*:%s*"([^"]+)"') or ""
  end
end

function done(summary, latency, requests)
  local sent_total, responses_total, created_total, statuses_total, all_codes = 0, 0, 0, {}, {}
  for _, thread in ipairs(threads) do
    sent_total = sent_total + thread:get("sent")
    responses_total = responses_total + thread:get("responses")
    created_total = created_total + thread:get("created")
    for status, n in pairs(thread:get("statuses")) do
      statuses_total[status] = (statuses_total[status] or 0) + n
    end
    for _, code in ipairs(thread:get("codes")) do all_codes[#all_codes + 1] = json_string(code) end
  end
  local status_items = {}
  for status, n in pairs(statuses_total) do status_items[#status_items + 1] = json_string(status) .. ":" .. n end
  local e = summary.errors
  local out = assert(io.open(os.getenv("WRK_OUT"), "w"))
  out:write("{",
    '"duration_us":', summary.duration, ",",
    '"requests":', summary.requests, ",",
    '"bytes":', summary.bytes, ",",
    '"errors":{"connect":', e.connect, ',"read":', e.read, ',"write":', e.write,
    ',"status":', e.status, ',"timeout":', e.timeout, "},",
    '"latency_us":{"mean":', latency.mean, ',"max":', latency.max,
    ',"p50":', latency:percentile(50), ',"p90":', latency:percentile(90),
    ',"p95":', latency:percentile(95), ',"p99":', latency:percentile(99), "},",
    '"sent":', sent_total, ",",
    '"responses":', responses_total, ",",
    '"created":', created_total, ",",
    '"statuses":{', table.concat(status_items, ","), "},",
    '"tracking_codes":[', table.concat(all_codes, ","), "]",
    "}\n")
  out:close()
end
