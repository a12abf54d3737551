"""What the demo's field records say: visit notes, villagers' requests, meeting minutes.

Supervisors read these notes to judge whether a visit happened, so in the demo they must read
like a secretary's own short entries — a few plain sentences about income, health, schooling,
housing and the household's plans, with the specifics that a household's tags (脱贫户, 留守老人…)
make likely — not lorem ipsum, and not one sentence repeated ten thousand times. A requests
list sounds like what villagers actually ask a first secretary for, in the categories the
county's request ledger uses.
"""

from __future__ import annotations

import random

_INCOME = (
    "家中{n}人在外务工，月收入较稳定。",
    "今年养了{pigs}头猪，预计年底出栏。",
    "种植辣椒{mu}亩，长势良好，销路已联系好。",
    "家庭主要收入靠务工和种植玉米，收支基本平衡。",
    "户主在县城打零工，收入不稳定，已推荐参加技能培训。",
    "种了{mu}亩茶叶，春茶收入比去年有所增加。",
    "今年新栽果树{mu}亩，还未挂果，短期收入偏低。",
    "家中有公益性岗位收入，生活有保障。",
)
_HEALTH = (
    "户主患有高血压，按时服药，已签约家庭医生。",
    "老人腿脚不便，提醒家属注意防滑防摔。",
    "家中有慢性病患者，已办理门诊慢特病待遇。",
    "全家已参加城乡居民医保，医保卡均能正常使用。",
    "了解到老人近期住院，已协助办理报销手续。",
    "家人身体健康，无重大疾病。",
)
_SCHOOL = (
    "孩子在镇中学读初{grade}，成绩中等，已落实教育资助。",
    "小孩在村小读书，每天有校车接送。",
    "大孩子今年考上高职，正在申请助学贷款。",
    "子女均已成年在外工作，逢年过节回家。",
    "提醒家长关注孩子暑期防溺水安全。",
)
_HOUSING = (
    "房屋为砖混结构，住房安全有保障。",
    "查看了厨房和厕所，改厕已完成，使用正常。",
    "房屋墙体有裂缝，已拍照上报住建部门鉴定。",
    "屋顶瓦片有破损，雨季前需要维修，已登记。",
    "自来水入户，饮水安全，水质正常。",
    "院坝已硬化，房前屋后卫生整洁。",
)
_INDUSTRY = (
    "宣传了村里的食用菌产业项目，户主有意入股合作社。",
    "介绍了小额信贷政策，户主表示考虑后再答复。",
    "动员参加村集体经济的务工，每天有务工收入。",
    "了解到想扩大养牛规模，建议先参加养殖技术培训。",
    "讲解了耕地保护和防返贫监测政策。",
    "宣传了防范电信诈骗和森林防火知识。",
)
_TAGGED = {
    "脱贫户": ("对照防返贫监测标准核实了家庭收入，无返贫风险。", "帮扶措施落实到位，户主对帮扶工作满意。"),
    "监测户": ("家庭收入低于监测线，已纳入重点关注，每月走访一次。", "落实了监测帮扶措施，收入有所回升。"),
    "低保户": ("低保金按月发放到账，核对了家庭人口无变化。", "提醒户主低保年审需要准备的材料。"),
    "残疾户": ("残疾人两项补贴已按时发放。", "联系了残联，帮助申请辅助器具。"),
    "留守老人": ("老人独自在家，子女在外务工，已与子女电话联系。", "帮老人检查了用电线路和燃气安全。"),
    "留守儿童": ("孩子由爷爷奶奶照顾，与父母视频联系较少，已提醒家长多关心。", "了解孩子在校情况，学习状态良好。"),
    "老党员": ("老党员身体尚好，向其通报了村里近期工作，听取了意见建议。", "送学上门，学习了党的最新精神。"),
    "五保户": ("五保供养金按时发放，生活用品充足。", "询问是否愿意到敬老院集中供养，老人愿意留在家中。"),
}

REQUEST_CATEGORIES = ("医疗", "道路", "饮水", "就业", "低保", "住房", "教育", "产业")
_REQUESTS = {
    "医疗": (
        "希望村卫生室能增加常用药品，老人看病不用跑镇上。",
        "家中老人行动不便，希望家庭医生能定期上门。",
        "住院报销材料不知道怎么准备，请求帮助办理。",
    ),
    "道路": (
        "组里通往田坝的机耕道雨天泥泞，希望硬化。",
        "进组道路有一段塌方，存在安全隐患，请尽快处理。",
        "路边没有路灯，晚上出行不方便。",
    ),
    "饮水": (
        "旱季自来水经常停水，希望解决水源问题。",
        "水管老化漏水，请求更换入户管道。",
        "山上的蓄水池需要清淤。",
    ),
    "就业": (
        "儿子初中毕业在家，希望推荐就近的工作。",
        "想参加挖掘机驾驶培训，请帮忙报名。",
        "希望村里的合作社用工时优先考虑本组群众。",
    ),
    "低保": (
        "家庭收入减少，咨询能否申请低保。",
        "低保金这两个月没有到账，请帮忙查询。",
        "老人的高龄补贴一直没有领到。",
    ),
    "住房": (
        "房屋漏雨严重，申请危房改造。",
        "厨房墙体开裂，希望有人来鉴定是否安全。",
        "想申请农村改厕补助。",
    ),
    "教育": (
        "孩子上学路远，希望协调校车接送。",
        "咨询大学生生源地助学贷款怎么办理。",
    ),
    "产业": (
        "想种植中药材，希望提供种苗和技术指导。",
        "养殖的牛找不到销路，希望帮忙联系收购。",
        "希望村里能建一个农产品冷库。",
    ),
}
_RESOLUTIONS = {
    "医疗": "已与镇卫生院协调，家庭医生每月上门一次。",
    "道路": "已报镇交通部门，列入今年村组道路维修计划并完成施工。",
    "饮水": "已联系水务站检修管道，恢复正常供水。",
    "就业": "已推荐到县工业园区企业就业。",
    "低保": "已协助提交申请材料，经审核已纳入保障。",
    "住房": "已完成鉴定并纳入危房改造，施工已结束。",
    "教育": "已协调学校解决，家长表示满意。",
    "产业": "已联系农业农村局技术员上门指导。",
}

_MEETINGS = (
    "召开支部党员大会，学习党的二十大精神，讨论村集体经济发展项目。",
    "召开支委会，研究本月重点工作和群众诉求办理情况。",
    "召开党小组会，组织党员学习《中国共产党农村基层组织工作条例》。",
    "讲党课：发挥党员先锋模范作用，带头发展产业。",
    "主题党日活动：组织党员清扫村道环境卫生。",
)
_GROUP_TALKS = (
    "在{group}召开群众院坝会，宣讲防返贫监测政策，收集群众意见。",
    "与{group}的群众座谈，商议组里道路硬化的投工投劳事宜。",
    "组织{group}村民学习森林防火和防汛知识。",
    "在{group}开展乡村振兴政策宣讲，群众参与热情较高。",
)
_SERVICES = (
    "帮助群众代办社保卡和医保缴费。",
    "协调农技员到村指导病虫害防治。",
    "为留守老人送去米、油等生活物资。",
    "联系电力部门检修了组里的变压器。",
    "协助群众在网上销售农产品。",
    "组织村医为老人免费测量血压。",
)
_LOGS = (
    "今日主要走访农户，整理了走访台账和群众诉求清单。",
    "整理防返贫监测信息，对接镇里核对数据。",
    "参加镇里召开的乡村振兴工作推进会，回村传达会议精神。",
    "梳理本周工作，谋划下周产业项目推进安排。",
    "完善村级档案资料，更新驻村工作日志。",
    "与村两委商议集体经济合作社分红方案。",
)


def visit_notes(rng: random.Random, tags: list[str]) -> str:
    """Two or three sentences about one home visit, the household's tags making some likelier."""
    topics = rng.sample([_INCOME, _HEALTH, _SCHOOL, _HOUSING, _INDUSTRY], k=rng.choice((2, 2, 3)))
    sentences = [_fill(rng, rng.choice(topic)) for topic in topics]
    tagged = [tag for tag in tags if tag in _TAGGED]
    if tagged and rng.random() < 0.7:
        sentences.insert(0, rng.choice(_TAGGED[rng.choice(tagged)]))
    return "".join(sentences)


def villager_request(rng: random.Random) -> tuple[str, str]:
    """A request a villager raised: its category and what they asked, in their words."""
    category = rng.choice(REQUEST_CATEGORIES)
    return category, rng.choice(_REQUESTS[category])


def resolution(category: str) -> str:
    return _RESOLUTIONS[category]


def meeting_notes(rng: random.Random) -> str:
    return "三会一课：" + rng.choice(_MEETINGS)


def group_talk_notes(rng: random.Random, group: str) -> str:
    return rng.choice(_GROUP_TALKS).format(group=group)


def service_notes(rng: random.Random) -> str:
    return rng.choice(_SERVICES)


def log_notes(rng: random.Random) -> str:
    return "驻村日志：" + rng.choice(_LOGS)


def _fill(rng: random.Random, sentence: str) -> str:
    return sentence.format(
        n=rng.randint(1, 3), pigs=rng.randint(2, 8), mu=rng.randint(2, 12), grade=rng.choice("一二三")
    )
