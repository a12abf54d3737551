"""Word pools for the demo county: people's names, place names, units, and mobile numbers.

The demo is shown to county staff, who notice at once when a village is called "Village 17" or
every household head is 张三. These pools follow how names in a mountainous county of the
south-west actually look: a few common surnames carry most people, local clans (龙, 石, 韦,
潘…) are over-represented, heads of households were born in the 1950s–70s and have the
given names of that time, and villages are named after the land (坪, 寨, 坝, 冲, 岩).
"""

from __future__ import annotations

import itertools
import random

# Surname and a weight roughly proportional to its share of the population.
_SURNAME_WEIGHTS = {
    "王": 7.2, "李": 7.2, "张": 6.8, "刘": 5.4, "陈": 4.5, "杨": 4.0, "黄": 2.2, "赵": 2.3,
    "吴": 2.4, "周": 2.0, "徐": 1.7, "孙": 1.5, "马": 1.3, "朱": 1.3, "胡": 1.3, "郭": 1.2,
    "何": 1.2, "高": 1.0, "林": 1.0, "罗": 1.5, "谢": 0.6, "宋": 0.5, "唐": 0.6, "邓": 0.7,
    "曾": 0.5, "彭": 0.5, "田": 0.6, "袁": 0.4, "蒋": 0.4, "肖": 0.5, "冯": 0.5, "付": 0.4,
    "余": 0.4, "韦": 0.5, "龙": 0.5, "石": 0.5, "潘": 0.4, "陆": 0.3, "蒙": 0.2, "岑": 0.1,
    "班": 0.1, "雷": 0.3, "熊": 0.3, "任": 0.3,
}  # fmt: skip
SURNAMES = tuple(_SURNAME_WEIGHTS)
_SURNAME_CUM_WEIGHTS = tuple(itertools.accumulate(_SURNAME_WEIGHTS.values()))

_MALE_FIRST = "国建明文德永志正光开世朝应金天学家福成中兴昌洪万有祖"
_MALE_SECOND = "华平富贵兵强军林荣忠祥才生发顺全伟勇刚清海友云山良龙江辉斌"
_FEMALE_FIRST = "秀玉桂凤春金翠兰红小丽美艳晓银素会"
_FEMALE_SECOND = "英兰芳梅琴珍霞香莲菊花芬燕丽娟群敏琼萍艳云仙"
_MALE_SINGLE = "军勇强伟斌刚平杰涛林波华明辉鹏"
_FEMALE_SINGLE = "英兰芳梅红霞燕丽娟敏琴萍"

CHINESE_NUMERALS = "一二三四五六七八九十"

COUNTY_NAME = "青山县"
SUBDISTRICT_NAMES = ("城关街道", "青山街道", "东城街道")
TOWN_STEMS = (
    "石门", "龙泉", "马场", "新场", "清水", "高坡", "羊场", "大河", "沙坝", "红岩", "茶园", "官庄",
)  # fmt: skip
TOWNSHIP_STEMS = ("岩脚", "猫场", "水塘", "牛场", "松林", "长岭", "摆所", "平寨")

# Village names are put together as the land is described: a qualifier and a landform.
_VILLAGE_FIRST = "大小上下新高白黑红青石龙马杨金水花松杉茶桃竹凉沙黄平长双安"
_VILLAGE_SECOND = "坪寨坝岩冲河湾田坡山溪林营堡关井塘场沟源"
COMMUNITY_NAMES = (
    "城南社区", "城北社区", "东关社区", "西门社区", "新街社区",
    "文化社区", "和平社区", "兴隆社区", "滨河社区", "锦华社区",
)  # fmt: skip
# Hamlets (自然寨) a villager group lives in, and streets of a community, for addresses.
HAMLETS = (
    "上寨", "下寨", "中寨", "大坪", "小坪", "坪上", "河边", "坡头", "湾里", "冲头",
    "岩脚", "田坝", "老寨", "新寨", "山背", "垭口", "沟口", "竹林", "院子", "半坡",
)  # fmt: skip
STREETS = (
    "人民路", "解放路", "新华街", "文化路", "建设路", "兴业路", "滨河路", "中山路", "育才路",
)  # fmt: skip

DISPATCH_UNITS = (
    "县委组织部", "县委宣传部", "县财政局", "县农业农村局", "县人社局", "县教育局", "县卫健局",
    "县交通运输局", "县水务局", "县自然资源局", "县林业局", "县民政局", "县住建局",
    "县市场监管局", "县乡村振兴局", "县供电公司", "县农商银行", "县烟草专卖局",
)  # fmt: skip

WEAK_LAX_REASONS = (
    "班子不团结", "书记能力弱", "集体经济薄弱", "信访矛盾突出", "党员队伍老化", "组织生活不规范",
)  # fmt: skip

# Each reason's measures for the one-plan-per-village (一村一策) text; {income} is in 万元.
PLAN_MEASURES = {
    "班子不团结": (
        "由镇党委班子成员包村，每月召开一次村“两委”班子谈心会，化解班子成员之间的矛盾。",
        "严格落实“四议两公开”，重大事项集体研究，杜绝个人说了算。",
    ),
    "书记能力弱": (
        "第一书记协助抓班子带队伍，对村党组织书记开展“一对一”帮带。",
        "从本村致富能手和返乡大学生中培养后备力量，储备村干部人选。",
    ),
    "集体经济薄弱": (
        "盘活闲置村小学和集体林地，发展林下养鸡和食用菌种植，力争年底村集体经济收入突破{income}万元。",
        "成立村股份经济合作社，对接县农商银行特色产业贷款，带动农户入股分红，年内村集体经济收入达到{income}万元。",
    ),
    "信访矛盾突出": (
        "建立矛盾纠纷排查台账，重点户包保到人，做到小事不出组、大事不出村。",
        "对土地流转和低保评定中的历史遗留问题逐件梳理，限期答复群众。",
    ),
    "党员队伍老化": (
        "每年发展一至两名35岁以下党员，注重从返乡青年和致富带头人中培养入党积极分子。",
        "为年老体弱党员送学上门，确保组织生活不漏一人。",
    ),
    "组织生活不规范": (
        "严格落实“三会一课”、主题党日和组织生活会制度，会议记录每月报镇党委审核。",
        "规范党费收缴和党员积分管理，党务公开栏每季度更新。",
    ),
}
PLAN_CLOSINGS_RECTIFYING = (
    "镇党委每月听取一次整顿进展汇报，确保按期销号。",
    "整顿期间每季度接受县委组织部督查，群众满意度作为验收的重要依据。",
    "第一书记每周入户走访，整顿进展在党务公开栏公示，接受群众监督。",
)
PLAN_CLOSING_ACCEPTED = "已通过县级考核验收，转入巩固提升阶段，防止问题反弹。"

# Household tags and how often a household carries each one (most carry none).
TAG_RATES = (
    ("脱贫户", 0.09), ("监测户", 0.02), ("低保户", 0.05), ("残疾户", 0.03),
    ("留守老人", 0.07), ("留守儿童", 0.04), ("老党员", 0.03), ("五保户", 0.01),
)  # fmt: skip
POVERTY_TAGS = frozenset({"脱贫户", "监测户", "低保户"})

# The mobile networks' prefixes of 13x, 15x, 18x and 19x numbers.
_MOBILE_PREFIXES = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139",
    "150", "151", "152", "153", "155", "156", "157", "158", "159",
    "180", "181", "182", "183", "185", "186", "187", "188", "189",
    "191", "195", "198", "199",
)  # fmt: skip


def surname(rng: random.Random) -> str:
    return rng.choices(SURNAMES, cum_weights=_SURNAME_CUM_WEIGHTS)[0]


def given_name(rng: random.Random, *, female: bool) -> str:
    """A given name of one character (about one in five) or two."""
    if rng.random() < 0.2:
        return rng.choice(_FEMALE_SINGLE if female else _MALE_SINGLE)
    first = rng.choice(_FEMALE_FIRST if female else _MALE_FIRST)
    second = rng.choice(_FEMALE_SECOND if female else _MALE_SECOND)
    while second == first:
        second = rng.choice(_FEMALE_SECOND if female else _MALE_SECOND)
    return first + second


def person_name(rng: random.Random, *, female: bool) -> str:
    return surname(rng) + given_name(rng, female=female)


def village_names(rng: random.Random, count: int) -> list[str]:
    """``count`` different village names (without the 村)."""
    pool = [a + b for a in _VILLAGE_FIRST for b in _VILLAGE_SECOND if a != b]
    return rng.sample(pool, count)


def numeral(n: int) -> str:
    """一 … 十 for the numbers of villager groups."""
    return CHINESE_NUMERALS[n - 1]


class MobileNumbers:
    """Hands out plausible mobile numbers, never the same one twice in one county."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._given: set[str] = set()

    def next(self) -> str:
        while True:
            number = self._rng.choice(_MOBILE_PREFIXES) + f"{self._rng.randrange(10**8):08d}"
            if number not in self._given:
                self._given.add(number)
                return number
