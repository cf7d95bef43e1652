"""The import contract as data: canonical columns per table, header synonyms, value words.

Everything :mod:`analytics.ingest` knows about the *meaning* of an input file lives here,
so docs/import-formats.md and this module can be read side by side. Nothing here touches
files or the store.

Header matching normalises a header (Unicode NFKC, camelCase split, lower case, runs of
spaces / hyphens / dots / slashes / brackets turned into ``_``) and looks it up in
:data:`HEADER_SYNONYMS`. Every Chinese synonym is listed in simplified characters; headers
and values are folded from traditional to simplified first (:func:`simplified`), so
``线索编号``, ``線索編號`` and the mixed ``線索编号`` all match ``lead_id``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

#: Value kinds; each has one parse rule in analytics/ingest/sql.py.
KINDS = ("id", "text", "date", "timestamp", "money", "int", "float", "bool", "quarter", "tags", "enum")


@dataclass(frozen=True)
class Column:
    """One canonical column of an importable table.

    ``required`` means the file must have the column (or the mapping must give it);
    ``nullable`` means a cell may still be empty. ``fill`` is stored for an empty cell of a
    column the schema declares NOT NULL with a default (e.g. ``approval_errors`` -> 0).
    ``lo`` / ``hi`` are inclusive bounds checked before storing; ``enum`` names the value
    vocabulary in :data:`VALUE_SYNONYMS`.
    """

    name: str
    kind: str
    required: bool = True
    nullable: bool = False
    fill: str | None = None
    lo: float | None = None
    hi: float | None = None
    enum: str | None = None


def _c(name: str, kind: str = "text", **kw: object) -> Column:
    return Column(name, kind, **kw)  # type: ignore[arg-type]


def _opt(name: str, kind: str = "text", **kw: object) -> Column:
    kw.setdefault("nullable", True)
    return Column(name, kind, required=False, **kw)  # type: ignore[arg-type]


#: Canonical columns of every importable table, in file order.
SPECS: dict[str, tuple[Column, ...]] = {
    "regions": (_c("region_id", "id"), _c("region_name")),
    "teams": (
        _c("team_id", "id"),
        _c("team_name"),
        _c("region_id", "id"),
        _c("team_type", "enum", enum="team_type"),
        _opt("is_pilot", "bool", nullable=False, fill="false"),
        _opt("pilot_start_quarter", "quarter"),
    ),
    "reps": (
        _c("rep_id", "id"),
        _c("rep_name"),
        _c("team_id", "id"),
        _c("role"),
        _c("hire_date", "date"),
        _c("monthly_salary", "money", lo=0),
        _opt("manager_id", "id"),
    ),
    "accounts": (_c("account_id", "id"), _opt("account_name"), _opt("segment"), _opt("region_id", "id")),
    "leads": (
        _c("lead_id", "id"),
        _c("created_at", "date"),
        _c("source"),
        _c("region_id", "id"),
        _c("segment"),
        _c("rep_id", "id"),
        _c("status", "enum", enum="status"),
        _opt("closed_at", "date"),
        _opt("account_id", "id"),
        _opt("max_stage"),
    ),
    "touchpoints": (_c("lead_id", "id"), _c("touched_at", "timestamp"), _c("channel")),
    "deals": (
        _c("deal_id", "id"),
        _opt("lead_id", "id"),
        _opt("account_id", "id"),
        _c("rep_id", "id"),
        _c("signed_at", "date"),
        _c("amount", "money", lo=0),
        _opt("gross_profit", "money"),
        _c("deal_type", "enum", enum="deal_type"),
        _opt("approval_errors", "int", nullable=False, fill="0", lo=0),
    ),
    "calls": (
        _c("call_id", "id"),
        _c("lead_id", "id"),
        _c("rep_id", "id"),
        _c("called_at", "timestamp"),
        _c("duration_s", "int", lo=0),
        _c("talk_tracks", "tags", nullable=True),
        _opt("needs_discovery_score", "float", lo=0, hi=100),
    ),
    "rep_metrics": (
        _c("rep_id", "id"),
        _c("quarter", "quarter"),
        _c("metric"),
        _c("value", "float"),
        _opt("evidence"),
    ),
    "targets": (
        _c("rep_id", "id"),
        _c("quarter", "quarter"),
        _c("target_amount", "money", lo=0),
        _opt("target_gross_profit", "money"),
    ),
    "nps": (_c("account_id", "id"), _c("responded_at", "date"), _c("score", "int", lo=0, hi=10)),
    "innovations": (
        _c("rep_id", "id"),
        _c("quarter", "quarter"),
        _c("points", "float", lo=0),
        _opt("description", nullable=False, fill=""),
    ),
    "display_names": (_c("kind"), _c("value"), _c("lang"), _c("display_name")),
}

#: Primary key of every importable table (the upsert key).
PRIMARY_KEYS: dict[str, tuple[str, ...]] = {
    "regions": ("region_id",),
    "teams": ("team_id",),
    "reps": ("rep_id",),
    "accounts": ("account_id",),
    "leads": ("lead_id",),
    "touchpoints": ("lead_id", "touched_at", "channel"),
    "deals": ("deal_id",),
    "calls": ("call_id",),
    "rep_metrics": ("rep_id", "quarter", "metric"),
    "targets": ("rep_id", "quarter"),
    "nps": ("account_id", "responded_at"),
    "innovations": ("rep_id", "quarter", "description"),
    "display_names": ("kind", "value", "lang"),
}


@dataclass(frozen=True)
class Reference:
    """``table.column`` must exist in ``target.target_column``.

    A strict reference rejects the row; a loose one only warns (the row is stored), because
    the schema allows the referenced row to arrive later (an account list, a lead export).
    """

    column: str
    target: str
    target_column: str
    strict: bool = True


REFERENCES: dict[str, tuple[Reference, ...]] = {
    "teams": (Reference("region_id", "regions", "region_id"),),
    "reps": (Reference("team_id", "teams", "team_id"), Reference("manager_id", "reps", "rep_id", strict=False)),
    "accounts": (Reference("region_id", "regions", "region_id", strict=False),),
    "leads": (
        Reference("region_id", "regions", "region_id"),
        Reference("rep_id", "reps", "rep_id"),
        Reference("account_id", "accounts", "account_id", strict=False),
    ),
    "touchpoints": (Reference("lead_id", "leads", "lead_id"),),
    "deals": (
        Reference("rep_id", "reps", "rep_id"),
        Reference("lead_id", "leads", "lead_id", strict=False),
        Reference("account_id", "accounts", "account_id", strict=False),
    ),
    "calls": (Reference("lead_id", "leads", "lead_id"), Reference("rep_id", "reps", "rep_id")),
    "rep_metrics": (Reference("rep_id", "reps", "rep_id"),),
    "targets": (Reference("rep_id", "reps", "rep_id"),),
    "nps": (Reference("account_id", "accounts", "account_id", strict=False),),
    "innovations": (Reference("rep_id", "reps", "rep_id"),),
}

#: Canonical columns per importable table: (name, required).
TABLE_COLUMNS: dict[str, list[tuple[str, bool]]] = {
    t: [(c.name, c.required) for c in cols] for t, cols in SPECS.items()
}

# -- simplified -> traditional, for the characters used in the synonym lists ---------------
_TRADITIONAL = str.maketrans(
    "线编号来区额签约销务员创状态户关闭细业标话时长评经团队类试点开资职称触达备说数证据积语显种别单审错误"
    "润现调问访复级阶进赢输丢归属负责门组币总价录获续费购扩电际内间场结败无办处岗层这项邮网广协议统计报跃"
    "转绍实谈题讯发满赏奖励绩码战术机荐订记",
    "線編號來區額簽約銷務員創狀態戶關閉細業標話時長評經團隊類試點開資職稱觸達備說數證據積語顯種別單審錯誤"
    "潤現調問訪復級階進贏輸丟歸屬負責門組幣總價錄獲續費購擴電際內間場結敗無辦處崗層這項郵網廣協議統計報躍"
    "轉紹實談題訊發滿賞獎勵績碼戰術機薦訂記",
)


#: The same pairs read the other way: headers and values are folded to simplified before lookup.
SIMPLIFIED_FROM = "".join(chr(k) for k in _TRADITIONAL.values()) + "籤"  # 標籤 (tag) also folds to 标签
SIMPLIFIED_TO = "".join(chr(k) for k in _TRADITIONAL) + "签"
_SIMPLIFIED = str.maketrans(SIMPLIFIED_FROM, SIMPLIFIED_TO)


def traditional(text: str) -> str:
    """The traditional-character form of a simplified-Chinese word (for the characters listed)."""
    return text.translate(_TRADITIONAL)


def simplified(text: str) -> str:
    """Fold traditional characters (those listed) to simplified: ``線索編號`` -> ``线索编号``."""
    return text.translate(_SIMPLIFIED)


#: Header words per canonical column (English and simplified Chinese; traditional is derived).
HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "region_id": (
        "region",
        "region_code",
        "area",
        "regional_office",
        "sales_region",
        "区域",
        "区域编号",
        "区域代码",
        "大区",
        "地区",
        "所属区域",
        "销售区域",
        "片区",
        "大区编号",
    ),
    "region_name": ("region_name", "area_name", "区域名称", "大区名称", "地区名称"),
    "team_id": (
        "team",
        "team_code",
        "team_no",
        "sales_team",
        "团队",
        "团队编号",
        "团队代码",
        "小组",
        "组别",
        "销售团队",
        "所属团队",
    ),
    "team_name": ("team_title", "团队名称", "小组名称", "组名"),
    "team_type": ("team_kind", "sales_type", "团队类型", "团队类别", "小组类型"),
    "is_pilot": ("pilot", "pilot_team", "是否试点", "试点", "试点团队"),
    "pilot_start_quarter": ("pilot_start", "pilot_quarter", "试点开始季度", "试点季度"),
    "rep_id": (
        "rep",
        "sales_rep",
        "sales_rep_id",
        "salesperson",
        "sales_person",
        "seller",
        "owner",
        "sales_agent",
        "agent",
        "employee_id",
        "emp_id",
        "销售",
        "销售代表",
        "销售员",
        "销售人员",
        "业务员",
        "负责人",
        "归属销售",
        "销售编号",
        "销售代表编号",
        "员工编号",
        "工号",
        "跟进人",
        "签约销售",
        "客户经理",
    ),
    "rep_name": ("sales_rep_name", "employee_name", "销售姓名", "员工姓名", "姓名", "销售名称"),
    "role": ("position", "title", "job_title", "角色", "岗位", "职位", "职务"),
    "hire_date": ("hired_at", "hired", "start_date", "join_date", "入职日期", "入职时间"),
    "monthly_salary": ("salary", "base_salary", "monthly_base", "月薪", "底薪", "基本工资", "工资", "月工资", "月薪资"),
    "manager_id": (
        "manager",
        "line_manager",
        "manager_rep_id",
        "supervisor",
        "经理",
        "主管",
        "上级",
        "直属上级",
        "销售经理",
        "直属经理",
    ),
    "account_id": (
        "account",
        "account_no",
        "customer",
        "customer_id",
        "customer_no",
        "client",
        "client_id",
        "客户",
        "客户编号",
        "客户id",
        "客户代码",
        "客户号",
    ),
    "account_name": (
        "customer_name",
        "client_name",
        "company_name",
        "company",
        "客户名称",
        "公司名称",
        "企业名称",
        "客户名",
    ),
    "segment": (
        "customer_segment",
        "industry",
        "sector",
        "vertical",
        "客户细分",
        "细分",
        "细分市场",
        "行业",
        "客户类型",
        "客群",
        "客户分层",
        "所属行业",
    ),
    "lead_id": (
        "lead",
        "lead_no",
        "lead_number",
        "lead_code",
        "opportunity_id",
        "opportunity",
        "opp_id",
        "线索",
        "线索编号",
        "线索id",
        "线索号",
        "商机编号",
        "商机id",
        "商机",
    ),
    "created_at": (
        "created",
        "create_date",
        "created_date",
        "creation_date",
        "created_on",
        "lead_date",
        "engage_date",
        "创建日期",
        "创建时间",
        "线索日期",
        "录入日期",
        "登记日期",
        "获取日期",
        "线索创建日期",
        "进线日期",
    ),
    "source": ("lead_source", "source_channel", "来源", "线索来源", "渠道", "来源渠道", "获客渠道", "获客来源"),
    "status": (
        "state",
        "result",
        "outcome",
        "lead_status",
        "deal_stage",
        "状态",
        "线索状态",
        "结果",
        "跟进状态",
        "赢单状态",
    ),
    "closed_at": (
        "close_date",
        "closed_date",
        "closed",
        "closed_on",
        "成交日期",
        "关闭日期",
        "结束日期",
        "结单日期",
        "完成日期",
        "赢单日期",
    ),
    "max_stage": ("stage", "furthest_stage", "highest_stage", "最高阶段", "阶段", "销售阶段", "漏斗阶段"),
    "touched_at": ("touch_date", "touch_time", "touched", "timestamp", "触达时间", "接触时间", "触点时间", "触达日期"),
    "channel": ("medium", "touch_channel", "渠道", "触达渠道", "媒介", "接触渠道"),
    "deal_id": (
        "deal",
        "deal_no",
        "contract_id",
        "contract_no",
        "contract",
        "order_id",
        "order_no",
        "合同编号",
        "合同号",
        "订单编号",
        "订单号",
        "成交编号",
        "签约编号",
    ),
    "signed_at": (
        "sign_date",
        "signed_date",
        "signing_date",
        "contract_date",
        "signed",
        "close_date",
        "签约日期",
        "签约时间",
        "签单日期",
        "合同日期",
        "成交日期",
        "签订日期",
    ),
    "amount": (
        "deal_value",
        "deal_amount",
        "contract_value",
        "contract_amount",
        "close_value",
        "revenue",
        "amount_cny",
        "金额",
        "合同金额",
        "签约金额",
        "成交金额",
        "订单金额",
        "销售额",
        "金额_元",
    ),
    "gross_profit": ("gp", "profit", "margin", "gross_margin", "毛利", "毛利润", "毛利额"),
    "deal_type": (
        "contract_type",
        "order_type",
        "deal_kind",
        "合同类型",
        "订单类型",
        "签约类型",
        "成交类型",
        "业务类型",
    ),
    "approval_errors": ("approval_error_count", "errors", "审批错误", "审批错误次数", "审批差错", "审批退回次数"),
    "call_id": ("call", "call_no", "recording_id", "通话编号", "通话id", "录音编号", "通话号"),
    "called_at": (
        "call_time",
        "call_date",
        "call_start",
        "started_at",
        "通话时间",
        "通话日期",
        "呼叫时间",
        "通话开始时间",
    ),
    "duration_s": (
        "duration",
        "duration_sec",
        "duration_secs",
        "duration_seconds",
        "seconds",
        "call_duration",
        "通话时长",
        "时长",
        "通话时长_秒",
        "时长_秒",
        "通话秒数",
    ),
    "talk_tracks": ("tags", "talk_track", "call_tags", "话术", "话术标签", "标签", "通话标签"),
    "needs_discovery_score": (
        "discovery_score",
        "needs_discovery",
        "需求挖掘得分",
        "需求挖掘评分",
        "需求发现得分",
        "需求挖掘分",
    ),
    "quarter": ("period", "fiscal_quarter", "季度", "考核季度", "统计季度"),
    "metric": ("kpi", "metric_name", "指标", "指标名称", "考核指标"),
    "value": ("metric_value", "数值", "值", "指标值"),
    "evidence": ("note", "notes", "comment", "证据", "备注", "依据"),
    "target_amount": ("target", "quota", "sales_target", "目标", "目标金额", "业绩目标", "销售目标", "指标金额"),
    "target_gross_profit": ("gp_target", "gross_profit_target", "毛利目标", "目标毛利"),
    "responded_at": ("response_date", "survey_date", "responded", "回复日期", "调查日期", "评价日期", "回访日期"),
    "score": ("nps", "nps_score", "rating", "评分", "得分", "分数", "推荐值"),
    "points": ("innovation_points", "积分", "分值", "创新积分"),
    "description": ("desc", "描述", "说明", "内容", "创新描述"),
    "kind": ("category", "name_kind", "类别", "种类"),
    "lang": ("language", "locale", "语言"),
    "display_name": ("label", "显示名称", "显示名"),
}

#: Generic words that mean "the table's first column of this kind" (lowest priority).
GENERIC_HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("region_name", "team_name", "rep_name", "account_name", "display_name"),
    "名称": ("region_name", "team_name", "rep_name", "account_name", "display_name"),
    "id": ("region_id", "team_id", "rep_id", "account_id", "lead_id", "deal_id", "call_id"),
    "编号": ("region_id", "team_id", "rep_id", "account_id", "lead_id", "deal_id", "call_id"),
    "code": ("region_id", "team_id", "rep_id", "account_id"),
    "date": ("created_at", "signed_at", "responded_at", "hire_date"),
    "日期": ("created_at", "signed_at", "responded_at", "hire_date"),
    "time": ("touched_at", "called_at"),
    "时间": ("touched_at", "called_at"),
    "type": ("team_type", "deal_type"),
    "类型": ("team_type", "deal_type"),
}

#: Words accepted for enumerated values (normalised like headers); the key is what is stored.
VALUE_SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "status": {
        "won": (
            "won",
            "win",
            "closed_won",
            "closedwon",
            "success",
            "signed",
            "赢单",
            "成交",
            "已成交",
            "签约",
            "已签约",
            "赢",
            "成功",
            "成单",
            "已成单",
            "赢得",
        ),
        "lost": (
            "lost",
            "lose",
            "closed_lost",
            "closedlost",
            "failed",
            "dead",
            "输单",
            "丢单",
            "失败",
            "已失败",
            "流失",
            "战败",
            "输",
            "丢失",
        ),
        "open": (
            "open",
            "in_progress",
            "pending",
            "active",
            "new",
            "engaging",
            "prospecting",
            "working",
            "跟进中",
            "进行中",
            "待跟进",
            "新建",
            "处理中",
            "洽谈中",
            "开放",
            "未关闭",
        ),
    },
    "team_type": {
        "telesales": ("telesales", "tele_sales", "inside_sales", "phone_sales", "电销", "电话销售"),
        "key_account": ("key_account", "key_accounts", "ka", "大客户", "大客户部", "重点客户"),
        "field": ("field", "field_sales", "outside_sales", "地推", "外勤", "地面", "地销"),
        "channel": ("channel", "partner", "channel_sales", "渠道", "渠道销售", "代理"),
    },
    "deal_type": {
        "new": ("new", "new_business", "new_logo", "新签", "新客户", "新单", "首单", "新购"),
        "renewal": ("renewal", "renew", "续约", "续费", "续签"),
        "upsell": ("upsell", "up_sell", "cross_sell", "expansion", "增购", "加购", "扩容", "追加"),
    },
}

#: Hint appended to "is not a ..." reasons, per kind.
KIND_HINTS = {
    "date": "is not a date (use YYYY-MM-DD)",
    "timestamp": "is not a date and time (use YYYY-MM-DD HH:MM:SS)",
    "money": "is not an amount (use digits like 1234.50)",
    "int": "is not a whole number",
    "float": "is not a number",
    "bool": "is not yes/no (use true or false)",
    "quarter": "is not a quarter (use 2025Q3)",
}


def normalise_header(text: str) -> str:
    """Normalise a header for matching: ``' Lead-ID '`` -> ``lead_id``, ``'线索编号'`` unchanged."""
    text = unicodedata.normalize("NFKC", str(text)).replace("\ufeff", "").replace("\u200b", "").strip()
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", text)  # camelCase -> camel_Case
    text = re.sub(r"[^\w]+", "_", text.casefold())
    return simplified(text.strip("_"))


def _without_unit(key: str) -> str:
    """Drop a trailing unit written in brackets: ``通话时长(秒)`` -> ``通话时长``."""
    return re.sub(r"_(秒|元|cny|rmb|s|sec|secs|seconds|万元|yuan)$", "", key)


def _build_lookup() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for canonical, words in HEADER_SYNONYMS.items():
        for word in (canonical, *words):
            lookup.setdefault(normalise_header(word), canonical)
    return lookup


_SYNONYM_LOOKUP = _build_lookup()
#: Per-table overrides where one Chinese word means different columns in different tables.
_TABLE_LOOKUP: dict[str, dict[str, str]] = {
    "leads": {"渠道": "source", "channel": "source"},
    "touchpoints": {"渠道": "channel"},
    "deals": {"成交日期": "signed_at", "close_date": "signed_at"},
}


def match_header(table: str, header: str) -> str | None:
    """The canonical column of ``table`` that ``header`` names, or None.

    Exact canonical names win, then synonyms, then generic words (``name``, ``日期``).
    """
    names = [c.name for c in SPECS[table]]
    key = normalise_header(header)
    for candidate in (key, _without_unit(key)):
        if candidate in names:
            return candidate
        hit = _TABLE_LOOKUP.get(table, {}).get(candidate)
        if hit in names:
            return hit
        hit = _SYNONYM_LOOKUP.get(candidate)
        if hit in names:
            return hit
        for generic, options in GENERIC_HEADERS.items():
            if candidate == normalise_header(generic):
                for option in options:
                    if option in names:
                        return option
    return None


def normalise_value(text: str) -> str:
    """Normalise a value word the way the SQL rule does: ``'Closed Won'`` -> ``closed_won``."""
    text = unicodedata.normalize("NFKC", str(text)).casefold()
    return simplified(re.sub(r"[^\w]+", "_", text).strip("_"))


def value_words(enum: str) -> dict[str, str]:
    """Normalised accepted word -> stored value for one vocabulary (incl. traditional forms)."""
    out: dict[str, str] = {}
    for stored, words in VALUE_SYNONYMS[enum].items():
        for word in (stored, *words):
            out.setdefault(normalise_value(word), stored)
    return out
